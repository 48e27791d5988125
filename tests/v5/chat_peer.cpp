#include "chat_peer.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace course::test {

namespace {

void put(std::string& out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
}

std::uint64_t get(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) {
        value = value << 8 | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
    }
    return value;
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

std::string descriptor(std::uint16_t type, std::uint16_t header_size, std::uint64_t content_size) {
    std::string out;
    put(out, type, 2);
    put(out, header_size, 2);
    put(out, 0, 4);
    put(out, content_size, 8);
    return out;
}

std::string frame(std::uint16_t type, std::string_view header, std::string_view content,
                  std::uint32_t reserved) {
    std::string out;
    put(out, type, 2);
    put(out, header.size(), 2);
    put(out, reserved, 4);
    put(out, content.size(), 8);
    out.append(header);
    out.append(content);
    return out;
}

std::string login_header(std::string_view name) {
    return nlohmann::json{{"to", std::string(name)}}.dump();
}

bool matches_digits(std::string_view text, std::string_view pattern) {
    if (text.size() != pattern.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool digit = text[i] >= '0' && text[i] <= '9';
        if (pattern[i] == 'd' ? !digit : text[i] != pattern[i])
            return false;
    }
    return true;
}

std::string without_timestamps(std::string bytes) {
    constexpr std::size_t length = 24;
    for (std::size_t at = 0; at + length <= bytes.size(); ++at) {
        if (is_timestamp(std::string_view(bytes).substr(at, length))) {
            bytes.replace(at, length, "2026-11-22T12:00:00.123Z");
        }
    }
    return bytes;
}

nlohmann::json ChatMessage::json() const { return nlohmann::json::parse(header, nullptr, false); }

std::string ChatMessage::describe() const {
    return "type " + std::to_string(type) + ", header " + escape(header) + ", content " +
           escape(content, 200);
}

ChatPeer::ChatPeer(Server& server, std::string name)
    : server_(&server), name_(name), connection_(server.connect(std::move(name))) {}

std::string ChatPeer::label() const { return connection_.label(); }

testing::AssertionResult ChatPeer::failure(const std::string& what) const {
    return testing::AssertionFailure() << label() << " " << what << "\n" << server_->describe();
}

testing::AssertionResult ChatPeer::send(std::string_view bytes) { return connection_.send(bytes); }

testing::AssertionResult ChatPeer::send(std::uint16_t type, std::string_view header,
                                        std::string_view content) {
    return connection_.send(frame(type, header, content));
}

testing::AssertionResult ChatPeer::login(std::string_view name) {
    if (auto sent = send(kLogin, login_header(name)); !sent) {
        return sent;
    }
    ChatMessage answer;
    if (auto got = expect(kLogin, &answer); !got) {
        return got;
    }
    if (!answer.header.empty() || !answer.content.empty()) {
        return failure("the Login answer must be a bare descriptor, got " + answer.describe());
    }
    return testing::AssertionSuccess();
}

bool ChatPeer::fill(Clock::time_point deadline) {
    if (eof_)
        return false;
    for (;;) {
        char chunk[65536];
        ssize_t n = ::recv(connection_.fd(), chunk, sizeof chunk, 0);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0) {
            eof_ = true;
            return false;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            pollfd p{connection_.fd(), POLLIN, 0};
            if (poll(&p, 1, remaining_ms(deadline)) <= 0)
                return false;
            continue;
        }
        eof_ = true;  // a reset ends the stream too
        return false;
    }
}

std::optional<ChatMessage> ChatPeer::next(std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    for (;;) {
        if (buffer_.size() >= 16) {
            std::size_t header_size = get(buffer_, 2, 2);
            std::uint64_t content_size = get(buffer_, 8, 8);
            if (buffer_.size() - 16 >= header_size &&
                buffer_.size() - 16 - header_size >= content_size) {
                ChatMessage message;
                message.type = static_cast<std::uint16_t>(get(buffer_, 0, 2));
                message.reserved = static_cast<std::uint32_t>(get(buffer_, 4, 4));
                message.header = buffer_.substr(16, header_size);
                message.content = buffer_.substr(16 + header_size, content_size);
                buffer_.erase(0, 16 + header_size + content_size);
                return message;
            }
        }
        if (!fill(until))
            return std::nullopt;
    }
}

testing::AssertionResult ChatPeer::expect(std::uint16_t type, ChatMessage* out,
                                          std::chrono::milliseconds deadline) {
    auto message = next(deadline);
    if (!message) {
        return failure("expected a message of type " + std::to_string(type) + ", got " +
                       (eof_ ? "the connection closed" : "nothing before the deadline") +
                       (buffer_.empty() ? "" : " after the partial bytes " + escape(buffer_)));
    }
    if (message->type != type) {
        return failure("expected a message of type " + std::to_string(type) + ", received " +
                       message->describe());
    }
    if (message->reserved != 0) {
        return failure("reserved must be sent as 0: " + message->describe());
    }
    if (out)
        *out = *message;
    return testing::AssertionSuccess();
}

testing::AssertionResult ChatPeer::expect_from(std::uint16_t type, std::string_view from,
                                               ChatMessage* out,
                                               std::chrono::milliseconds deadline) {
    ChatMessage message;
    if (auto got = expect(type, &message, deadline); !got) {
        return got;
    }
    auto json = message.json();
    if (!json.is_object() || !json.contains("from") || json["from"] != from ||
        !json.contains("timestamp") || !json["timestamp"].is_string()) {
        return failure("expected a server header with \"from\": \"" + std::string(from) +
                       "\" and a timestamp, received " + message.describe());
    }
    if (out)
        *out = message;
    return testing::AssertionSuccess();
}

testing::AssertionResult ChatPeer::expect_closed(std::chrono::milliseconds deadline) {
    auto until = deadline_in(deadline);
    while (buffer_.empty() && fill(until)) {
    }
    if (!buffer_.empty()) {
        auto message = next(0ms);
        return failure("expected the server to close, received " +
                       (message ? message->describe() : escape(buffer_)));
    }
    if (!eof_)
        return failure("expected the server to close; it stayed open past the deadline");
    return testing::AssertionSuccess();
}

testing::AssertionResult ChatPeer::expect_nothing(std::chrono::milliseconds quiet) {
    auto until = Clock::now() + quiet;
    while (buffer_.empty() && fill(until)) {
    }
    if (!buffer_.empty()) {
        auto message = next(0ms);
        return failure("expected nothing, received " +
                       (message ? message->describe() : escape(buffer_)));
    }
    if (eof_)
        return failure("expected the connection to stay open; the server closed it");
    return testing::AssertionSuccess();
}

testing::AssertionResult expect_output(Process& client, const std::string& text,
                                       std::vector<std::string>* seen) {
    auto until = deadline_in(5s);
    std::string all;
    while (auto line = client.read_stdout_line(until)) {
        all += *line + "\n";
        if (seen)
            seen->push_back(*line);
        if (line->find(text) != std::string::npos)
            return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << "[v5 client] expected a line with " << escape(text) << ", printed " << escape(all)
           << "\nstderr " << escape(client.stderr_text());
}

}  // namespace course::test
