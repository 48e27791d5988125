// Fan-out against v5's binary chat protocol (docs/protocol.md): N receivers log in, then one
// sender sends M Utf8 messages to everybody; the server relays each to every logged-in user.
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <list>

#include "fanout.hpp"

namespace loadgen {

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

enum Type : std::uint16_t { login = 1, logout = 2, utf8 = 7, error = 10 };
constexpr std::size_t descriptor_size = 16;

// The 16-byte descriptor, little-endian: type u16, header size u16, reserved u32, content u64.
void append_message(std::string& out, std::uint16_t type, std::string_view header,
                    std::size_t content_size) {
    auto put = [&](std::uint64_t value, int bytes) {
        for (int i = 0; i < bytes; ++i) {
            out.push_back(static_cast<char>(value >> (8 * i)));
        }
    };
    put(type, 2);
    put(header.size(), 2);
    put(0, 4);
    put(content_size, 8);
    out.append(header);
}

std::uint64_t little_endian(const char* bytes, int count) {
    std::uint64_t value = 0;
    for (int i = count - 1; i >= 0; --i) {
        value = value << 8 | static_cast<unsigned char>(bytes[i]);
    }
    return value;
}

struct Frame {
    std::uint16_t type;
    std::string_view header, content;
};

// Calls on_frame for every complete message that arrives, until it returns false (then the
// rest stays in the buffer for the next call). Throws when the connection ends.
template <typename OnFrame>
awaitable<void> read_frames(tcp::socket& socket, ReceiveBuffer& buffer, OnFrame on_frame) {
    for (;;) {
        std::size_t needed = descriptor_size;
        while (buffer.size() >= descriptor_size) {
            const char* d = buffer.data();
            std::size_t header_size = little_endian(d + 2, 2);
            std::size_t content_size = little_endian(d + 8, 8);
            needed = descriptor_size + header_size + content_size;
            if (buffer.size() < needed) {
                break;
            }
            Frame frame{static_cast<std::uint16_t>(little_endian(d, 2)),
                        {d + descriptor_size, header_size},
                        {d + descriptor_size + header_size, content_size}};
            buffer.consume(needed);
            needed = descriptor_size;
            if (!on_frame(frame)) {
                co_return;
            }
        }
        co_await buffer.fill(socket, needed);
    }
}

// Connects and logs in as `name`; the answer to Login is a bare Login descriptor.
awaitable<void> log_in(Fanout& run, tcp::socket& socket, ReceiveBuffer& buffer,
                       const std::string& name) {
    co_await socket.async_connect(endpoint_of(run.options.common.address), use_awaitable);
    socket.set_option(tcp::no_delay(true));
    std::string request;
    append_message(request, login, "{\"to\":\"" + name + "\"}", 0);
    co_await asio::async_write(socket, asio::buffer(request), use_awaitable);
    Frame answer{};
    co_await read_frames(socket, buffer, [&](const Frame& frame) {
        answer = frame;
        return false;
    });
    if (answer.type != login || !answer.header.empty()) {
        throw std::runtime_error("login as " + name + " refused: type " +
                                 std::to_string(answer.type));
    }
}

// A receiver (or, with receiver < 0, the sender reading its own copies): skips the Login and
// Logout events of others, checks every Utf8 message.
awaitable<void> receive(Fanout& run, tcp::socket& socket, ReceiveBuffer& buffer, int receiver) {
    std::uint64_t own = 0;
    asio::error_code closed;
    try {
        co_await read_frames(socket, buffer, [&](const Frame& frame) {
            if (frame.type == utf8) {
                if (frame.header.empty() || frame.header.front() != '{') {
                    run.error("a relayed message without a server header");
                    return false;
                }
                if (receiver < 0) {
                    return run.payload.matches(own++, frame.content) ||
                           (run.error("sender's own copy damaged or out of order"), false);
                }
                return run.deliver(static_cast<std::size_t>(receiver), frame.content);
            }
            if (frame.type == error) {
                run.error("server sent Error: " + std::string(frame.header));
                return false;
            }
            return frame.type == login || frame.type == logout ||
                   (run.error("unexpected type " + std::to_string(frame.type)), false);
        });
        run.finish();  // an error: no use waiting for the rest
    } catch (const std::system_error& failure) {
        if (!run.finished) {
            run.error("receiver " + std::to_string(receiver) + ": " + failure.what());
        }
    }
}

// The run's connections; lists, because a socket never moves once a coroutine uses it.
struct Connections {
    std::list<tcp::socket> sockets;
    std::list<ReceiveBuffer> buffers;
};

awaitable<void> fan_out(Fanout& run, Connections& connections) {
    auto executor = co_await asio::this_coro::executor;
    auto& sockets = connections.sockets;
    auto& buffers = connections.buffers;
    for (std::size_t r = 0; r < run.options.receivers; ++r) {
        auto& socket = sockets.emplace_back(executor);
        auto& buffer = buffers.emplace_back();
        run.sockets.push_back(&socket);
        co_await log_in(run, socket, buffer, "r" + std::to_string(r));
        asio::co_spawn(executor, receive(run, socket, buffer, static_cast<int>(r)), asio::detached);
    }
    auto& sender = sockets.emplace_back(executor);
    auto& sender_buffer = buffers.emplace_back();
    run.sockets.push_back(&sender);
    co_await log_in(run, sender, sender_buffer, "sender");
    asio::co_spawn(executor, receive(run, sender, sender_buffer, -1), asio::detached);
    std::cerr << "fanout: " << run.options.receivers << " receivers logged in, sending "
              << run.options.messages << " messages\n";

    std::string empty_header;
    co_await run.send_all(sender, [&](std::string& batch, std::uint64_t seq) {
        append_message(batch, utf8, empty_header, run.payload.size());
        run.payload.append(batch, seq);
    });
}

}  // namespace

Result run_fanout_chat(const FanoutOptions& options) {
    raise_fd_limit(options.receivers + 64);
    asio::io_context io(1);
    Fanout run(io, options);
    Connections connections;  // destroyed before io, after every coroutine has ended
    CpuMeter cpu(options.common.server_pid);
    cpu.start();  // logging in is a small part; the messages dominate
    run_fanout(io, run, fan_out(run, connections));
    cpu.stop();
    auto result = run.result("fanout");
    result.server_cpu_s = cpu.seconds();
    return result;
}

}  // namespace loadgen
