#include "shutdown.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "session.hpp"

Shutdown::Shutdown(asio::any_io_executor executor)
    : all_left_(executor, asio::steady_timer::time_point::max()) {}

Session* Shutdown::next_of(Session* session) { return session->next_; }

bool Shutdown::join(Session& session) {
    std::lock_guard lock(mutex_);
    if (stopping_) {
        return false;
    }
    session.next_ = head_;  // push front: O(1), no allocation (the hooks live in the session)
    if (head_ != nullptr) {
        head_->prev_ = &session;
    }
    head_ = &session;
    ++size_;
    return true;
}

void Shutdown::leave(Session& session) {
    std::lock_guard lock(mutex_);
    if (session.prev_ == nullptr && head_ != &session) {
        return;  // never joined (it came after begin())
    }
    (session.prev_ ? session.prev_->next_ : head_) = session.next_;
    if (session.next_ != nullptr) {
        session.next_->prev_ = session.prev_;
    }
    session.prev_ = session.next_ = nullptr;
    if (--size_ == 0 && stopping_) {
        // The last one out tells the server. cancel() must run on the timer's executor
        // (a timer is not thread-safe), so post it there; all_left() checked size_ under
        // this same lock before it began to wait, so the wake-up cannot be lost.
        asio::post(all_left_.get_executor(), [this] { all_left_.cancel(); });
    }
}

void Shutdown::begin() {
    std::lock_guard lock(mutex_);  // one lock for both: no session can join in between
    stopping_ = true;
    // [v4 step 3] Walk the list, stop(Session::Stop::shutdown) each: for_each would relock mutex_.
    for (Session* s = head_; s != nullptr; s = s->next_) {
        s->stop(Session::Stop::shutdown);  // only posts to the session's executor: quick
    }
    // [/v4 step 3]
    if (size_ == 0) {
        asio::post(all_left_.get_executor(), [this] { all_left_.cancel(); });
    }
}

bool Shutdown::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void Shutdown::abort_all() {
    for_each([](Session& session) { session.abort(); });
}

asio::awaitable<void> Shutdown::all_left() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && size_ == 0) {
            co_return;
        }
    }
    // Completes with operation_aborted when leave() or begin() cancels it: that is the signal.
    co_await all_left_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

std::size_t Shutdown::size() const {
    std::lock_guard lock(mutex_);
    return size_;
}
