// A raw chat-protocol peer for the v5 tests: frames and reads messages itself (its own
// few lines of little-endian code, not the stage's codec, so a bug shared by both ends
// cannot hide), over a harness Connection, with a deadline on every wait.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace course::test {

enum ChatType : std::uint16_t {
    kLogin = 1,
    kLogout = 2,
    kUsernameExists = 3,
    kBadUsername = 4,
    kBadLogin = 5,
    kImage = 6,
    kUtf8 = 7,
    kFile = 8,
    kVoice = 9,
    kError = 10,
};

// Descriptor (type, header size, reserved, content size; little-endian) + header + content.
std::string frame(std::uint16_t type, std::string_view header = {}, std::string_view content = {},
                  std::uint32_t reserved = 0);
// Just the descriptor, with any sizes (to announce more than we send).
std::string descriptor(std::uint16_t type, std::uint16_t header_size, std::uint64_t content_size);
std::string login_header(std::string_view name);  // {"to": NAME}

// "2026-11-22T12:00:00.123Z": digits where the pattern has 'd' (no std::regex: GCC 12 warns
// inside it under the sanitizers).
bool matches_digits(std::string_view text, std::string_view pattern);
inline bool is_timestamp(std::string_view text) {
    return matches_digits(text, "dddd-dd-ddTdd:dd:dd.dddZ");
}
// Every timestamp in `bytes` replaced by 2026-11-22T12:00:00.123Z.
std::string without_timestamps(std::string bytes);

// For the stage's client run as a Process: reads its stdout lines until one contains `text`
// (the lines before it are kept in *seen, when given).
testing::AssertionResult expect_output(Process& client, const std::string& text,
                                       std::vector<std::string>* seen = nullptr);

struct ChatMessage {
    std::uint16_t type = 0;
    std::uint32_t reserved = 0;
    std::string header;
    std::string content;
    nlohmann::json json() const;  // the header parsed (discarded value if not JSON)
    std::string describe() const;
};

class ChatPeer {
public:
    ChatPeer(Server& server, std::string name);
    Connection& connection() { return connection_; }
    const std::string& name() const { return name_; }

    testing::AssertionResult send(std::string_view bytes);
    testing::AssertionResult send(std::uint16_t type, std::string_view header = {},
                                  std::string_view content = {});
    // Sends Login {"to": name} and expects the bare Login answer.
    testing::AssertionResult login(std::string_view name);
    testing::AssertionResult login() { return login(name_); }

    // The next message, or nothing at EOF or the deadline.
    std::optional<ChatMessage> next(std::chrono::milliseconds deadline = 5s);
    // The next message is of `type` (stored in *out when given).
    testing::AssertionResult expect(std::uint16_t type, ChatMessage* out = nullptr,
                                    std::chrono::milliseconds deadline = 5s);
    // The next message is an event or a relay `from` someone (type and from checked).
    testing::AssertionResult expect_from(std::uint16_t type, std::string_view from,
                                         ChatMessage* out = nullptr,
                                         std::chrono::milliseconds deadline = 5s);
    // The server closes, with no message before.
    testing::AssertionResult expect_closed(std::chrono::milliseconds deadline = 5s);
    // Nothing arrives for `quiet`, and the connection stays open.
    testing::AssertionResult expect_nothing(std::chrono::milliseconds quiet);

    bool closed() const { return eof_; }
    std::string label() const;

private:
    bool fill(Clock::time_point deadline);
    testing::AssertionResult failure(const std::string& what) const;

    Server* server_;
    std::string name_;
    Connection connection_;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace course::test
