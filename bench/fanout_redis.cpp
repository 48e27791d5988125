// The same fan-out against redis-server's pub/sub: N connections SUBSCRIBE to one channel,
// one connection PUBLISHes. RESP written and parsed by hand: we need very little of it.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <charconv>
#include <iostream>
#include <list>

#include "fanout.hpp"

namespace loadgen {

namespace {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

constexpr std::string_view channel = "course-bench";

// A RESP command: an array of bulk strings.
void append_command(std::string& out, std::initializer_list<std::string_view> words) {
    out += '*' + std::to_string(words.size()) + "\r\n";
    for (auto word : words) {
        out += '$' + std::to_string(word.size()) + "\r\n";
        out.append(word);
        out += "\r\n";
    }
}

// One reply: an integer (":3"), or an array whose elements (bulk strings or integers) are
// kept as text. Enough for subscribe confirmations, messages and PUBLISH's answer.
struct Reply {
    char kind = 0;
    std::string_view text;  // the integer, or an error's text
    std::vector<std::string_view> elements;
};

// Parses one reply from [p, end); returns the bytes it took, or 0 if it is not all there.
std::size_t parse_reply(const char* p, const char* end, Reply& reply) {
    const char* start = p;
    auto line = [&](std::string_view& out) {
        auto* cr = static_cast<const char*>(std::memchr(p, '\r', end - p));
        if (cr == nullptr || cr + 1 >= end) {
            return false;
        }
        out = {p, static_cast<std::size_t>(cr - p)};
        p = cr + 2;
        return true;
    };
    auto number = [](std::string_view text) {
        long long value = -1;
        std::from_chars(text.data(), text.data() + text.size(), value);
        return value;
    };
    if (p == end) {
        return 0;
    }
    reply.kind = *p++;
    reply.elements.clear();
    if (!line(reply.text)) {
        return 0;
    }
    if (reply.kind != '*') {
        return p - start;  // ':' integer, '+' status, '-' error
    }
    for (long long count = number(reply.text); count > 0; --count) {
        if (p == end) {
            return 0;
        }
        char kind = *p++;
        std::string_view text;
        if (!line(text)) {
            return 0;
        }
        if (kind == '$') {
            auto size = static_cast<std::size_t>(number(text));
            if (static_cast<std::size_t>(end - p) < size + 2) {
                return 0;
            }
            text = {p, size};
            p += size + 2;
        }
        reply.elements.push_back(text);
    }
    return p - start;
}

// Calls on_reply for each reply that arrives until it returns false.
template <typename OnReply>
awaitable<void> read_replies(tcp::socket& socket, ReceiveBuffer& buffer, OnReply on_reply) {
    Reply reply;
    for (;;) {
        while (std::size_t used =
                   parse_reply(buffer.data(), buffer.data() + buffer.size(), reply)) {
            buffer.consume(used);
            if (!on_reply(reply)) {
                co_return;
            }
        }
        co_await buffer.fill(socket, buffer.size() + 4096);
    }
}

awaitable<void> receive(Fanout& run, tcp::socket& socket, ReceiveBuffer& buffer,
                        std::size_t receiver) {
    try {
        co_await read_replies(socket, buffer, [&](const Reply& reply) {
            if (reply.elements.size() == 3 && reply.elements[0] == "message") {
                return run.deliver(receiver, reply.elements[2]);
            }
            run.error("unexpected reply on a subscriber");
            return false;
        });
        run.finish();
    } catch (const std::system_error& failure) {
        if (!run.finished) {
            run.error("receiver " + std::to_string(receiver) + ": " + failure.what());
        }
    }
}

// The publisher's answers: each PUBLISH says to how many subscribers it went.
awaitable<void> count_publish_answers(Fanout& run, tcp::socket& socket, ReceiveBuffer& buffer) {
    auto expected = std::to_string(run.options.receivers);
    try {
        co_await read_replies(socket, buffer, [&](const Reply& reply) {
            if (reply.kind != ':' || reply.text != expected) {
                run.error("PUBLISH answered " + std::string(1, reply.kind) +
                          std::string(reply.text));
                return false;
            }
            return true;
        });
        run.finish();
    } catch (const std::system_error&) {
    }
}

struct Connections {
    std::list<tcp::socket> sockets;
    std::list<ReceiveBuffer> buffers;
};

awaitable<void> fan_out(Fanout& run, Connections& connections) {
    auto executor = co_await asio::this_coro::executor;
    auto endpoint = endpoint_of(run.options.common.address);
    std::string subscribe;
    append_command(subscribe, {"SUBSCRIBE", channel});
    for (std::size_t r = 0; r < run.options.receivers; ++r) {
        auto& socket = connections.sockets.emplace_back(executor);
        auto& buffer = connections.buffers.emplace_back();
        run.sockets.push_back(&socket);
        co_await socket.async_connect(endpoint, use_awaitable);
        socket.set_option(tcp::no_delay(true));
        co_await asio::async_write(socket, asio::buffer(subscribe), use_awaitable);
        bool confirmed = false;
        co_await read_replies(socket, buffer, [&](const Reply& reply) {
            confirmed = reply.elements.size() == 3 && reply.elements[0] == "subscribe";
            return false;
        });
        if (!confirmed) {
            throw std::runtime_error("SUBSCRIBE not confirmed");
        }
        asio::co_spawn(executor, receive(run, socket, buffer, r), asio::detached);
    }
    auto& publisher = connections.sockets.emplace_back(executor);
    auto& publisher_buffer = connections.buffers.emplace_back();
    run.sockets.push_back(&publisher);
    co_await publisher.async_connect(endpoint, use_awaitable);
    publisher.set_option(tcp::no_delay(true));
    asio::co_spawn(executor, count_publish_answers(run, publisher, publisher_buffer),
                   asio::detached);
    std::cerr << "fanout-redis: " << run.options.receivers << " subscribers, publishing "
              << run.options.messages << " messages\n";

    std::string content;
    co_await run.send_all(publisher, [&](std::string& batch, std::uint64_t seq) {
        content.clear();
        run.payload.append(content, seq);
        append_command(batch, {"PUBLISH", channel, content});
    });
}

}  // namespace

Result run_fanout_redis(const FanoutOptions& options) {
    raise_fd_limit(options.receivers + 64);
    asio::io_context io(1);
    Fanout run(io, options);
    Connections connections;
    CpuMeter cpu(options.common.server_pid);
    cpu.start();
    run_fanout(io, run, fan_out(run, connections));
    cpu.stop();
    auto result = run.result("fanout-redis");
    result.server_cpu_s = cpu.seconds();
    return result;
}

}  // namespace loadgen
