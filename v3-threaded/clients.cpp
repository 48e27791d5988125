#include "clients.hpp"

#include <spdlog/spdlog.h>

#include <system_error>
#include <vector>

// [v3 step 2] Keep the set of served streams under the mutex; broadcast writes outside it.
// [starter] bool Clients::add(std::shared_ptr<SharedStream>) { return true; }
// [starter] void Clients::remove(const std::shared_ptr<SharedStream>&) {}
// [starter] void Clients::broadcast(std::string_view) {}
bool Clients::add(std::shared_ptr<SharedStream> stream) {
    std::lock_guard lock(mutex_);
    if (stopping_) {
        return false;
    }
    served_.insert(std::move(stream));
    return true;
}

void Clients::remove(const std::shared_ptr<SharedStream>& stream) {
    std::lock_guard lock(mutex_);
    served_.erase(stream);
    if (served_.empty()) {
        emptied_.notify_all();  // the stop may be waiting for this
    }
}

void Clients::broadcast(std::string_view bytes) {
    // Copy the list and let go of the lock before writing: a write can block (a client
    // that does not read), and workers must still be able to come and go meanwhile.
    std::vector<std::shared_ptr<SharedStream>> everyone;
    {
        std::lock_guard lock(mutex_);
        everyone.assign(served_.begin(), served_.end());
    }
    for (const auto& stream : everyone) {
        try {
            stream->write_all(bytes);
        } catch (const std::system_error& error) {
            // Gone while we wrote: its worker will notice and clean up.
            spdlog::debug("console: {}: {}", stream->peer_name(), error.what());
        }
    }
}
// [/v3 step 2]

// [v3 step 5] Refuse new clients, stop_reading() each served one, wait until the deadline.
// [starter] void Clients::stop(std::chrono::steady_clock::time_point) {}
void Clients::stop(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    for (const auto& stream : served_) {
        stream->stop_reading();  // wakes its worker; the reply being written goes on
    }
    if (!emptied_.wait_until(lock, deadline, [this] { return served_.empty(); })) {
        spdlog::warn("{} clients still being written to; cutting them off", served_.size());
        for (const auto& stream : served_) {
            stream->shutdown_both();
        }
    }
}
// [/v3 step 5]
