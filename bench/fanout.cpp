#include "fanout.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <iostream>

namespace loadgen {

using asio::use_awaitable;

Payload::Payload(std::size_t size) : size_(size) {
    for (std::size_t i = 0; i < size + 26; ++i) {
        letters_.push_back(static_cast<char>('a' + i % 26));
    }
}

namespace {

// seq as 12 decimal digits, zero-padded (a receiver checks millions a second: no snprintf).
void twelve_digits(std::uint64_t seq, char* out) {
    for (int i = 11; i >= 0; --i, seq /= 10) {
        out[i] = static_cast<char>('0' + seq % 10);
    }
}

}  // namespace

void Payload::append(std::string& out, std::uint64_t seq) const {
    char digits[12];
    twelve_digits(seq, digits);
    out.append(digits, 12);
    out.append(letters_, seq % 26, size_ - 12);
}

bool Payload::matches(std::uint64_t seq, std::string_view content) const {
    char digits[12];
    twelve_digits(seq, digits);
    return content.size() == size_ && std::memcmp(content.data(), digits, 12) == 0 &&
           std::memcmp(content.data() + 12, letters_.data() + seq % 26, size_ - 12) == 0;
}

asio::awaitable<void> ReceiveBuffer::fill(asio::ip::tcp::socket& socket, std::size_t needed) {
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (bytes_.size() - end_ < 64 * 1024 || bytes_.size() - begin_ < needed) {
        std::memmove(bytes_.data(), bytes_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (bytes_.size() < needed) {
        bytes_.resize(needed);
    }
    end_ += co_await socket.async_read_some(
        asio::buffer(bytes_.data() + end_, bytes_.size() - end_), use_awaitable);
}

Fanout::Fanout(asio::io_context& io, const FanoutOptions& options)
    : options(options), payload(options.size), received(options.receivers), wakeup_(io) {}

bool Fanout::deliver(std::size_t receiver, std::string_view content) {
    auto seq = received[receiver];
    if (seq >= options.messages || !payload.matches(seq, content)) {
        error("receiver " + std::to_string(receiver) + ": message " + std::to_string(seq) +
              " missing or damaged");
        return false;
    }
    if (++received[receiver] == options.messages && ++receivers_done == options.receivers) {
        last_received = Clock::now();
        finish();
    }
    if (sender_waiting_) {  // wake it once; it looks at the slowest receiver itself
        sender_waiting_ = false;
        wakeup_.cancel();
    }
    return true;
}

void Fanout::error(const std::string& what) {
    if (++errors <= 5 && !finished) {
        std::cerr << "fanout: " << what << '\n';
    }
}

void Fanout::finish() {
    finished = true;
    wakeup_.cancel();
    for (auto* socket : sockets) {
        asio::error_code ignored;
        socket->close(ignored);
    }
}

asio::awaitable<void> Fanout::send_all(asio::ip::tcp::socket& socket,
                                       std::function<void(std::string&, std::uint64_t)> encode) {
    std::string batch;
    first_sent = Clock::now();
    for (std::uint64_t seq = 0; seq < options.messages && !finished;) {
        auto slowest = *std::min_element(received.begin(), received.end());
        auto limit = std::min<std::uint64_t>(options.messages, slowest + options.in_flight);
        if (seq >= limit) {
            sender_waiting_ = true;
            wakeup_.expires_at(Clock::time_point::max());
            asio::error_code cancelled;
            co_await wakeup_.async_wait(asio::redirect_error(use_awaitable, cancelled));
            continue;
        }
        batch.clear();
        for (; seq < limit && batch.size() < 64 * 1024; ++seq) {
            encode(batch, seq);
        }
        co_await asio::async_write(socket, asio::buffer(batch), use_awaitable);
    }
}

Result Fanout::result(const char* mode) const {
    Result result;
    result.mode = mode;
    result.connections = options.receivers;
    result.size = options.size;
    std::uint64_t delivered = 0;
    for (auto count : received) {
        delivered += count;
    }
    auto end = receivers_done == options.receivers ? last_received : Clock::now();
    result.duration_s = seconds_between(first_sent, end);
    result.ops = delivered;
    result.errors = errors + (options.messages * options.receivers - delivered);
    result.extra = "messages=" + std::to_string(options.messages) +
                   ";in_flight=" + std::to_string(options.in_flight);
    return result;
}

void run_fanout(asio::io_context& io, Fanout& fanout, asio::awaitable<void> body) {
    asio::co_spawn(io, std::move(body), [&](std::exception_ptr failure) {
        if (failure && !fanout.finished) {
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& error) {
                fanout.error(std::string("sender: ") + error.what());
            }
            fanout.finish();
        }
    });
    asio::steady_timer timeout(io, std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(fanout.options.timeout)));
    timeout.async_wait([&](asio::error_code error) {
        if (!error && !fanout.finished) {
            fanout.error("timed out");
            fanout.finish();
        }
    });
    // The timer must not keep the run alive once everything is done: poll for that.
    while (!fanout.finished) {
        io.run_one();
    }
    timeout.cancel();
    io.run();  // let the closed connections' coroutines end
}

}  // namespace loadgen
