// LineFramer: cuts a stream of bytes into the lines of the echo line protocol.
//
// TCP delivers bytes, not messages: one read may hold half a line, several lines, or the
// end of one and the start of the next. The framer finds the lines in what has arrived and
// says what is left: the start of a line whose "\n" has not come yet. The caller keeps
// that rest at the front of its buffer and reads the next bytes in after it.
//
// The rules (the course contract, docs/contract.md, "The echo line protocol"):
//   - a line ends with "\n"; a "\r" right before the "\n" is dropped, any other "\r" is
//     part of the line;
//   - a line longer than kMaxLine bytes (not counting its "\r\n" or "\n") is "too long":
//     one verdict, as soon as it is certain, and the rest of that line is dropped as it
//     arrives. So the rest kept between reads is never over kMaxRest bytes, however much
//     a client sends without a newline.
//
// The framer owns no memory and copies nothing: lines are views into the caller's buffer,
// valid until the caller reuses those bytes. It reads each byte once, front to back, and
// never again once it has returned the frame the byte belongs to: so a caller may write
// its replies over bytes already framed (v4 does, to answer in place).
//
// v2 writes this file; v3 and v4 carry it unchanged.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

// The longest line that is answered, in bytes, without its "\r\n" or "\n".
constexpr std::size_t kMaxLine = 1024;
// The longest rest a framer leaves: kMaxLine bytes and a "\r" that a "\n" may still end.
constexpr std::size_t kMaxRest = kMaxLine + 1;

class LineFramer {
public:
    struct Frame {
        enum class Kind { line, too_long };
        Kind kind;
        std::string_view line;  // Kind::line: the line without its ending; empty otherwise
    };

    // New bytes: buffer[0, kept) is the rest() left by the last round, moved to the front
    // by the caller; buffer[kept, end) has just arrived.
    void feed(const char* buffer, std::size_t kept, std::size_t end);

    // The next complete line, or the verdict that the current line is too long; nothing
    // once what is left is an unfinished line (then see rest()).
    std::optional<Frame> next();

    // After next() gave nothing: the start of a line to keep for the next feed (at most
    // kMaxRest bytes; empty while a too-long line is being dropped).
    std::string_view rest() const { return {buffer_ + start_, end_ - start_}; }

    // True inside a too-long line, until its "\n" arrives.
    bool discarding() const { return discarding_; }

private:
    const char* buffer_ = nullptr;
    std::size_t start_ = 0;  // where the current line starts
    std::size_t scan_ = 0;   // where to look for the next "\n" (a kept rest has none)
    std::size_t end_ = 0;
    bool discarding_ = false;
};
