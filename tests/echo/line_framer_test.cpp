// LineFramer (v2-loop-echo/line_framer.hpp, carried unchanged into v3 and v4): the framing
// of the echo line protocol, tested alone. Every stream is fed the ways TCP may deliver it
// (whole, split at every byte, one byte at a time) and must give the same frames as a plain
// reference; the rest kept between reads never exceeds kMaxRest; framing allocates nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "line_framer.hpp"
#include "stages.hpp"

namespace {

std::atomic<long> allocations{0};

}  // namespace

// Counts every allocation of this test program, so a test can say "none happened here".
void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

const std::string kTooLongMark = "<too long>";

// The frames of a whole stream, the obvious way: each line, or the mark for a too-long
// one; and the mark for an unterminated rest that is already too long.
std::vector<std::string> reference(const std::string& stream) {
    std::vector<std::string> frames;
    std::size_t start = 0;
    for (std::size_t nl; (nl = stream.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string line = stream.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        frames.push_back(line.size() > kMaxLine ? kTooLongMark : line);
    }
    std::size_t rest = stream.size() - start;
    if (rest > kMaxRest || (rest == kMaxRest && stream.back() != '\r')) {
        frames.push_back(kTooLongMark);
    }
    return frames;
}

// Feeds `pieces` to a framer the way a session does: a buffer, the rest kept at its front.
std::vector<std::string> framed(const std::vector<std::string>& pieces) {
    LineFramer framer;
    std::vector<char> buffer(kMaxRest + 4096);
    std::size_t kept = 0;
    std::vector<std::string> frames;
    for (const auto& piece : pieces) {
        std::copy(piece.begin(), piece.end(), buffer.begin() + static_cast<long>(kept));
        framer.feed(buffer.data(), kept, kept + piece.size());
        while (auto frame = framer.next()) {
            bool too_long = frame->kind == LineFramer::Frame::Kind::too_long;
            frames.push_back(too_long ? kTooLongMark : std::string(frame->line));
        }
        std::string_view rest = framer.rest();
        EXPECT_LE(rest.size(), kMaxRest);
        std::copy(rest.begin(), rest.end(), buffer.begin());
        kept = rest.size();
    }
    return frames;
}

void check_every_split(const std::string& stream) {
    auto expected = reference(stream);
    EXPECT_EQ(framed({stream}), expected);
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
        ASSERT_EQ(framed({stream.substr(0, cut), stream.substr(cut)}), expected)
            << "split at byte " << cut;
    }
    std::vector<std::string> bytes;
    for (char c : stream) {
        bytes.emplace_back(1, c);
    }
    EXPECT_EQ(framed(bytes), expected) << "one byte at a time";
}

using Frames = std::vector<std::string>;

TEST(LineFramer, LinesCrLfAndEmptyLines) {
    EXPECT_EQ(framed({"hello\r\nworld\n\n\r\na\rb\n\r\r\n"}),
              (Frames{"hello", "world", "", "", "a\rb", "\r"}));
    check_every_split("hello\r\nworld\n\n\r\na\rb\n\r\r\nunfinished");
}

TEST(LineFramer, AnUnfinishedLineIsKeptNotFramed) {
    EXPECT_EQ(framed({"no newline yet"}), Frames{});
    EXPECT_EQ(framed({"no newline", " yet\n"}), Frames{"no newline yet"});
}

TEST(LineFramer, TheLimitCountsBytesWithoutTheLineEnding) {
    std::string max(kMaxLine, 'a');
    EXPECT_EQ(framed({max + "\n"}), Frames{max});
    EXPECT_EQ(framed({max + "\r\n"}), Frames{max});  // 1026 bytes with its "\r\n": fits
    EXPECT_EQ(framed({max + "b\n"}), Frames{kTooLongMark});
    EXPECT_EQ(framed({max + "\r\r\n"}), Frames{kTooLongMark});  // the first "\r" is data
    EXPECT_EQ(framed({max + "\rb\n", "after\n"}), (Frames{kTooLongMark, "after"}));
}

TEST(LineFramer, KMaxLineAndACarriageReturnArrivingAloneIsNotTooLongYet) {
    std::string max(kMaxLine, 'a');
    // 1025 bytes ending in "\r" wait for the next read: a "\n" makes them a line.
    EXPECT_EQ(framed({max + "\r", "\n"}), Frames{max});
    EXPECT_EQ(framed({max, "\r", "\n", "next\n"}), (Frames{max, "next"}));
    // 1025 bytes ending in anything else are too long at once, before any "\n".
    EXPECT_EQ(framed({max + "b"}), Frames{kTooLongMark});
}

TEST(LineFramer, LimitsAtEveryBoundaryAndEverySplit) {
    std::string max(kMaxLine, 'a');
    check_every_split(max + "\n" + max + "\r\n" + max + "b\n" + "next\n");
    check_every_split(max + "\rb\nafter\n");
    check_every_split(max + "\r");
    check_every_split(std::string(3000, 'c') + "\nafter\n");
}

TEST(LineFramer, ATooLongLineGetsOneVerdictHoweverLongAndHoweverItArrives) {
    std::vector<std::string> pieces(100, std::string(700, 'x'));  // 70 000 bytes, no newline
    pieces.push_back("x\r\nok\n");
    EXPECT_EQ(framed(pieces), (Frames{kTooLongMark, "ok"}));
}

TEST(LineFramer, ALineSplitByteByByteWithPausesBetweenReads) {
    // Each byte its own read, as a client typing slowly sends it: the same frames.
    std::string stream = "ab\r\n" + std::string(kMaxLine, 'z') + "\r\nexit\n\r\n";
    std::vector<std::string> bytes;
    for (char c : stream) {
        bytes.emplace_back(1, c);
    }
    EXPECT_EQ(framed(bytes), (Frames{"ab", std::string(kMaxLine, 'z'), "exit", ""}));
}

TEST(LineFramer, FramingAllocatesNothing) {
    std::string stream;
    for (int i = 0; i < 100; ++i) {
        stream += "line " + std::to_string(i) + "\r\n";
    }
    stream += std::string(5000, 'x') + "\npartial";
    LineFramer framer;
    std::size_t lines = 0;
    long before = allocations.load();
    framer.feed(stream.data(), 0, stream.size());
    while (auto frame = framer.next()) {
        ++lines;
    }
    EXPECT_EQ(allocations.load() - before, 0);
    EXPECT_EQ(lines, 101u);
    EXPECT_EQ(framer.rest(), "partial");
}

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << path;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(LineFramer, IsOneFileThatV3AndV4CarryUnchanged) {
    for (std::string name : {"line_framer.hpp", "line_framer.cpp"}) {
        std::string root = course::test::source_dir();
        std::string written = contents(root + "/v2-loop-echo/" + name);
        EXPECT_FALSE(written.empty());
        EXPECT_EQ(contents(root + "/v3-threaded/" + name), written)
            << "v3-threaded/" << name << " differs from v2-loop-echo/" << name;
        EXPECT_EQ(contents(root + "/v4-async/" + name), written)
            << "v4-async/" << name << " differs from v2-loop-echo/" << name;
    }
}

}  // namespace
