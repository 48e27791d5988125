// Session: one upload, served by one coroutine: the bytes of one PNG file in, one line out
// (the link, or `error: REASON`), close.
//
// v4's session, with v4's life (join the Shutdown list, serve, say goodbye, close, leave)
// and its stop() and abort(); what it serves is new. The bytes stream to an unnamed
// temporary file in data_dir (storage.hpp) while a PngWalker checks them; the file gets
// its final name only when IEND's CRC has been checked. On any failure, no file is left.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

class Logger;
class Shutdown;

struct UploadSettings {
    std::filesystem::path data_dir;
    std::uint64_t max_upload_bytes = 0;
    std::chrono::milliseconds read_timeout{30'000};
    std::string link_prefix;  // "http://example.org/images/": the link is this plus the name
};

class Session : public std::enable_shared_from_this<Session> {
public:
    using Clock = std::chrono::steady_clock;
    enum class Stop : std::uint8_t { none, idle, shutdown };

    Session(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer, Shutdown& shutdown,
            Logger& logger, const UploadSettings& settings);

    // The whole life of the connection: join the Shutdown list, take the upload, answer,
    // close, leave the list. The coroutine's frame owns `self`, so the session lives
    // exactly as long as its coroutine. It never throws: whatever fails is answered.
    static asio::awaitable<void> run(std::shared_ptr<Session> self);

    // Over the connection cap: the stage's one-line refusal, written without waiting
    // (a fresh socket's send buffer is empty), then the socket is closed. The server logs
    // it (a flood of newcomers gets one entry a second, with a count).
    static void turn_away(asio::ip::tcp::socket socket);

    // Called from the idle sweep and the shutdown broadcast: both post the work to the
    // session's own executor, so the socket is only ever touched from there.
    void stop(Stop why);  // cancel what the session waits for; it says why and closes
    void abort();         // close the socket now (the goodbye took too long)

    asio::any_io_executor executor() { return socket_.get_executor(); }

    // Read by the sweep, hence atomics (kept from v4, where the sweep ran on other threads).
    Clock::time_point last_heard() const {
        return Clock::time_point(Clock::duration(last_heard_.load(std::memory_order_relaxed)));
    }
    bool closing() const { return closing_.load(std::memory_order_relaxed); }

private:
    friend class Shutdown;  // for the list hooks below

    // Until IEND, an error, EOF or a stop; leaves the line to answer in answer_.
    asio::awaitable<void> serve();
    asio::awaitable<void> say_goodbye(std::string_view last_line);
    asio::awaitable<void> drain();  // read and drop until the peer closes
    void refuse(std::error_code kind, const std::string& reason, std::string_view answer = {});
    void heard() {
        last_heard_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    }
    void mark_closing() {
        heard();  // from now on last_heard_ is when the goodbye began
        closing_.store(true, std::memory_order_relaxed);
    }

    // One read buffer per upload, whatever the file's size: memory stays flat. Big enough
    // that a fast sender costs few system calls (and the file gets large writes).
    static constexpr std::size_t kBufferSize = 128 * 1024;
    // After the answer, what the peer still sends is read and dropped, up to this much.
    static constexpr std::size_t kMaxDrain = 1024 * 1024;

    asio::ip::tcp::socket socket_;
    asio::ip::tcp::endpoint peer_;
    Shutdown& shutdown_;
    Logger& logger_;
    const UploadSettings& settings_;

    Session* prev_ = nullptr;  // Shutdown's intrusive list of live sessions
    Session* next_ = nullptr;
    std::atomic<Clock::rep> last_heard_;
    std::atomic<bool> closing_{false};

    // Touched only on the session's executor:
    Stop stop_ = Stop::none;
    bool aborted_ = false;
    bool draining_ = false;
    std::string answer_;  // the link, or "error: ...", with its "\n"
    std::unique_ptr<std::byte[]> buffer_;
};
