// LineEcho (v4-async/protocol.hpp): the echo line protocol answered in place. Every stream
// below is fed in two pieces split at every byte, and must give the same replies as a plain
// reference implementation: the in-place trick must never change an answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol.hpp"

namespace {

// The protocol, the obvious way (what v2 does): the replies to a whole stream.
std::string reference(const std::string& stream) {
    std::string out;
    std::size_t start = 0;
    for (std::size_t nl; (nl = stream.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string line = stream.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.size() > kMaxLine) {
            out += kTooLong;
        } else if (line == "exit") {
            return out + std::string(kBye);
        } else {
            out += line + "\n";
        }
    }
    std::size_t rest = stream.size() - start;
    bool rest_too_long = rest > kMaxLine + 1 || (rest == kMaxLine + 1 && stream.back() != '\r');
    return rest_too_long ? out + std::string(kTooLong) : out;
}

// Feeds `pieces` to a LineEcho the way a Session does (a buffer, the rest kept at its front).
std::string in_place(const std::vector<std::string>& pieces) {
    LineEcho echo;
    std::vector<char> buffer(4096);
    std::size_t used = 0;
    std::string out;
    for (const auto& piece : pieces) {
        std::copy(piece.begin(), piece.end(), buffer.begin() + static_cast<long>(used));
        auto answer = echo.answer(buffer.data(), used, used + piece.size());
        out.append(buffer.data(), answer.reply_size);
        if (answer.exit)
            break;
        EXPECT_LE(answer.rest.size(), kMaxRest);
        std::copy(answer.rest.begin(), answer.rest.end(), buffer.begin());
        used = answer.rest.size();
    }
    return out;
}

void check_every_split(const std::string& stream) {
    std::string expected = reference(stream);
    EXPECT_EQ(in_place({stream}), expected);
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
        ASSERT_EQ(in_place({stream.substr(0, cut), stream.substr(cut)}), expected)
            << "split at byte " << cut;
    }
}

TEST(LineEcho, PlainLinesCrLfAndEmptyLines) { check_every_split("hello\r\nworld\n\n\r\na\rb\n"); }

TEST(LineEcho, ExitEndsTheAnswers) { check_every_split("one\nexit\r\ntwo\n"); }

TEST(LineEcho, LimitsAtEveryBoundary) {
    std::string at(kMaxLine, 'a');
    check_every_split(at + "\n" + at + "\r\n" + at + "b\n" + "next\n");
    check_every_split(at + "\rb\nafter\n");
    check_every_split(std::string(3000, 'c') + "\nafter\n");
}

TEST(LineEcho, ATooLongLineIsAnsweredOnceHoweverItArrives) {
    std::vector<std::string> pieces(100, std::string(700, 'x'));  // 70 000 bytes, no newline
    pieces.push_back("x\nok\n");
    EXPECT_EQ(in_place(pieces), std::string(kTooLong) + "ok\n");
}

TEST(LineEcho, OneByteAtATime) {
    std::string stream = "ab\r\n" + std::string(1025, 'z') + "\r\nexit\nnever\n";
    std::vector<std::string> bytes;
    for (char c : stream)
        bytes.emplace_back(1, c);
    EXPECT_EQ(in_place(bytes), reference(stream));
}

}  // namespace
