// v6-upload as a black box: every rule of the course contract (docs/contract.md, "v6-upload")
// about uploads, over real TCP.
// After every failure, data_dir must hold no file at all, not even a partial one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "png_maker.hpp"
#include "transcript.hpp"
#include "v6_helpers.hpp"

namespace course::test {
namespace {

using Files = std::vector<std::string>;

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

// The start of a real image: signature and IHDR, ready for one more chunk.
std::string png_start() {
    auto png = make_png();
    return png.substr(0, 8 + 25);
}

// An upload that must fail: answered `error: ...`, closed, nothing left in data_dir.
void expect_refused(UploadServer& s, Connection& connection, const std::string& why) {
    auto line = connection.read_line(10s);
    ASSERT_TRUE(line.has_value()) << connection.label() << " " << why << ": no answer line\n"
                                  << s.server->describe();
    EXPECT_TRUE(line->starts_with("error: ")) << why << ": answered " << escape(*line) << "\n"
                                              << s.server->describe();
    EXPECT_TRUE(connection.expect_eof(10s)) << why;
    EXPECT_EQ(s.files(), Files{}) << why << ": data_dir must be empty\n" << s.server->describe();
}

TEST(V6Upload, AnswersALinkThenClosesAndStoresTheSameBytes) {
    auto s = start_upload_server();
    auto png = make_png();
    auto c = s.server->connect("alice");
    ASSERT_TRUE(c.send(png));
    c.half_close();
    auto link = c.read_line(10s);
    ASSERT_TRUE(link.has_value()) << s.server->describe();
    EXPECT_TRUE(c.expect_eof());
    std::string prefix = "http://" + s.http_address() + "/images/";
    EXPECT_TRUE(link->starts_with(prefix)) << escape(*link) << " should start with " << prefix;
    auto name = name_of(*link);
    EXPECT_TRUE(name.ends_with(".png")) << name;
    ASSERT_EQ(s.files(), Files{name});
    EXPECT_EQ(read_file(s.data_dir() + "/" + name), png);
}

TEST(V6Upload, TwoUploadsOfTheSameFileGetTwoNames) {
    auto s = start_upload_server();
    auto png = make_png();
    auto first = upload(*s.server, png, "first");
    auto second = upload(*s.server, png, "second");
    EXPECT_NE(first, second);
    EXPECT_EQ(s.files().size(), 2u) << s.server->describe();
}

TEST(V6Upload, NotAPngIsRefused) {
    auto s = start_upload_server();
    auto c = s.server->connect("text");
    ASSERT_TRUE(c.send("hello, this is not a PNG file\n"));
    c.half_close();
    expect_refused(s, c, "a text file");
}

TEST(V6Upload, NothingAtAllIsRefused) {
    auto s = start_upload_server();
    auto c = s.server->connect("empty");
    c.half_close();
    expect_refused(s, c, "an empty upload");
}

TEST(V6Upload, CutShortIsRefused) {
    auto s = start_upload_server();
    auto png = make_png();
    for (std::size_t size : {std::size_t{4}, std::size_t{8}, png.size() / 2, png.size() - 1}) {
        auto c = s.server->connect("cut at " + std::to_string(size));
        ASSERT_TRUE(c.send(std::string_view(png).substr(0, size)));
        c.half_close();
        expect_refused(s, c, "cut at " + std::to_string(size));
    }
}

TEST(V6Upload, APeerThatVanishesMidUploadLeavesNothing) {
    auto s = start_upload_server();
    auto png = make_png();
    {
        auto c = s.server->connect("vanishing");
        ASSERT_TRUE(c.send(std::string_view(png).substr(0, png.size() / 2)));
        EXPECT_TRUE(c.expect_silence(200ms));  // the server has taken (some of) it by now
        c.reset();
    }
    EXPECT_TRUE(eventually([&] { return s.files().empty(); }))
        << "left behind: " << testing::PrintToString(s.files()) << "\n"
        << s.server->describe();
    EXPECT_NE(upload(*s.server, png, "next").find("/images/"), std::string::npos)
        << s.server->describe();
}

TEST(V6Upload, ABadCrcIsRefused) {
    auto s = start_upload_server();
    auto c = s.server->connect("bad crc");
    ASSERT_TRUE(c.send(with_bad_crc(make_png())));
    c.half_close();
    expect_refused(s, c, "a bad CRC");
}

TEST(V6Upload, AChunkLengthOverTwoToTheThirtyOneIsRefusedAtItsHeader) {
    auto s = start_upload_server();
    auto c = s.server->connect("huge length");
    // No data follows and we do not half-close: the header alone must be enough.
    ASSERT_TRUE(c.send(png_start() + be32(0x80000000u) + "IDAT"));
    expect_refused(s, c, "chunk length 2^31");
}

TEST(V6Upload, AChunkLengthOfTwoToTheThirtyOneMinusOneIsRefusedAtItsHeader) {
    auto s = start_upload_server();  // max_upload_bytes: 32 MiB, so it cannot fit
    auto c = s.server->connect("2^31-1");
    ASSERT_TRUE(c.send(png_start() + be32(0x7fffffffu) + "IDAT"));
    expect_refused(s, c, "chunk length 2^31-1");
}

TEST(V6Upload, AChunkThatWouldPassMaxUploadBytesIsRefusedAtItsHeader) {
    auto s = start_upload_server("max_upload_bytes = 10000\n");
    auto c = s.server->connect("big chunk");
    ASSERT_TRUE(c.send(png_start() + be32(20000) + "IDAT"));
    expect_refused(s, c, "a 20000-byte chunk with max_upload_bytes 10000");
}

TEST(V6Upload, OneByteOverMaxUploadBytesIsRefused) {
    auto s = start_upload_server("max_upload_bytes = 10000\n");
    auto c = s.server->connect("10001 bytes");
    (void)c.send(make_png_of_size(10001));
    c.half_close();
    expect_refused(s, c, "10001 bytes with max_upload_bytes 10000");
}

TEST(V6Upload, ExactlyMaxUploadBytesIsFine) {
    auto s = start_upload_server("max_upload_bytes = 10000\n");
    auto png = make_png_of_size(10000);
    auto link = upload(*s.server, png);
    ASSERT_TRUE(link.starts_with("http://")) << escape(link) << "\n" << s.server->describe();
    EXPECT_EQ(read_file(s.data_dir() + "/" + name_of(link)), png);
}

TEST(V6Upload, ASilentPeerIsTimedOut) {
    auto s = start_upload_server("read_timeout_secs = 1\n");
    auto png = make_png();
    auto c = s.server->connect("silent");
    ASSERT_TRUE(c.send(std::string_view(png).substr(0, 100)));
    expect_refused(s, c, "silent for read_timeout_secs mid-upload");
    auto quiet = s.server->connect("silent from the start");
    expect_refused(s, quiet, "silent from the start");
}

TEST(V6Upload, NoAnswerBeforeIendIsComplete) {
    auto s = start_upload_server();
    auto png = make_png();
    auto c = s.server->connect("iend split");
    ASSERT_TRUE(c.send(std::string_view(png).substr(0, png.size() - 7)));  // inside IEND's type
    EXPECT_TRUE(c.expect_silence(300ms));
    ASSERT_TRUE(c.send(std::string_view(png).substr(png.size() - 7, 5)));  // inside its CRC
    EXPECT_TRUE(c.expect_silence(300ms));
    ASSERT_TRUE(c.send(std::string_view(png).substr(png.size() - 2)));
    auto link = c.read_line(10s);
    ASSERT_TRUE(link && link->starts_with("http://")) << s.server->describe();
    EXPECT_EQ(read_file(s.data_dir() + "/" + name_of(*link)), png);
}

TEST(V6Upload, ByteByByte) {
    auto s = start_upload_server();
    auto png = make_png(16, 16);
    auto c = s.server->connect("byte by byte");
    for (char byte : png) {
        ASSERT_TRUE(c.send(std::string_view(&byte, 1)));
    }
    auto link = c.read_line(10s);
    ASSERT_TRUE(link && link->starts_with("http://")) << s.server->describe();
    EXPECT_EQ(read_file(s.data_dir() + "/" + name_of(*link)), png);
}

// The upload ends with IEND's CRC: whatever follows is not part of it. However the bytes are
// sliced or timed, the file is stored, the link answered, the rest read and dropped, and
// the close is orderly (a reset could destroy the link before the peer reads it).
TEST(V6Upload, DataAfterIendIsDroppedWhateverTheSlicing) {
    auto s = start_upload_server();
    auto png = make_png();
    const std::string extra = "trailing bytes\n";
    struct Way {
        std::string name;
        std::function<void(Connection&)> send;
    };
    std::vector<Way> ways = {
        {"one write", [&](Connection& c) { ASSERT_TRUE(c.send(png + extra)); }},
        {"IEND, then the rest",
         [&](Connection& c) {
             ASSERT_TRUE(c.send(png));
             ASSERT_TRUE(c.send(extra));
         }},
        {"IEND's CRC split, rest with its end",
         [&](Connection& c) {
             ASSERT_TRUE(c.send(std::string_view(png).substr(0, png.size() - 2)));
             ASSERT_TRUE(c.send(png.substr(png.size() - 2) + extra));
         }},
        {"a pause after IEND",
         [&](Connection& c) {
             ASSERT_TRUE(c.send(png));
             std::this_thread::sleep_for(50ms);  // the timing varies on purpose, not a sync
             ASSERT_TRUE(c.send(extra));
         }},
        {"much more after IEND",
         [&](Connection& c) { ASSERT_TRUE(c.send(png + std::string(200'000, 'x'), 10s)); }},
    };
    int round = 0;
    for (int repeat = 0; repeat < 4; ++repeat) {
        for (auto& way : ways) {
            std::string label = way.name + " #" + std::to_string(repeat);
            auto c = s.server->connect(label);
            way.send(c);
            if (repeat % 2 == 1) {
                c.half_close();  // with and without our FIN
            }
            auto link = c.read_line(10s);
            ASSERT_TRUE(link && link->starts_with("http://"))
                << label << ": " << (link ? escape(*link) : "no answer") << "\n"
                << s.server->describe();
            EXPECT_EQ(read_file(s.data_dir() + "/" + name_of(*link)), png) << label;
            if (repeat % 2 == 1) {
                EXPECT_EQ(how_it_closed(c), "EOF") << label;
            } else {
                c.half_close();  // the server drains until our FIN, then closes
                EXPECT_EQ(how_it_closed(c), "EOF") << label;
            }
            ++round;
        }
    }
    EXPECT_EQ(s.files().size(), static_cast<std::size_t>(round));
}

TEST(V6Upload, TwentyConcurrentUploads) {
    auto s = start_upload_server();
    std::vector<Connection> connections;
    std::vector<std::string> pngs;
    for (int i = 0; i < 20; ++i) {
        pngs.push_back(make_png(40 + static_cast<std::uint32_t>(i), 30));
        connections.push_back(s.server->connect("upload " + std::to_string(i)));
        ASSERT_TRUE(connections[i].send(std::string_view(pngs[i]).substr(0, pngs[i].size() / 2)));
    }
    // All twenty are in progress at once; now each finishes, the last first.
    std::set<std::string> names;
    for (int i = 19; i >= 0; --i) {
        ASSERT_TRUE(connections[i].send(std::string_view(pngs[i]).substr(pngs[i].size() / 2)));
        auto link = connections[i].read_line(10s);
        ASSERT_TRUE(link && link->starts_with("http://")) << "upload " << i << "\n"
                                                          << s.server->describe();
        names.insert(name_of(*link));
        EXPECT_EQ(read_file(s.data_dir() + "/" + name_of(*link)), pngs[i]) << "upload " << i;
    }
    EXPECT_EQ(names.size(), 20u);
    EXPECT_EQ(s.files().size(), 20u);
}

TEST(V6Upload, AStalledUploadDoesNotBlockOthers) {
    auto s = start_upload_server();
    auto png = make_png();
    auto stalled = s.server->connect("stalled");
    ASSERT_TRUE(stalled.send(std::string_view(png).substr(0, 50)));
    EXPECT_TRUE(upload(*s.server, png, "other").starts_with("http://")) << s.server->describe();
}

// Over the cap, a newcomer is accepted, told and closed at once: never left waiting in
// the backlog believing it is connected.
TEST(V6Upload, OverTheCapAnUploadIsToldTheServerIsBusy) {
    auto s = start_upload_server("max_connections = 2\n");
    auto png = make_png();
    auto first = s.server->connect("first");
    auto second = s.server->connect("second");
    ASSERT_TRUE(first.send(std::string_view(png).substr(0, 50)));
    ASSERT_TRUE(second.send(std::string_view(png).substr(0, 50)));
    auto third = s.server->connect("third");
    auto line = third.read_line(5s);
    ASSERT_TRUE(line.has_value()) << "no answer over the cap\n" << s.server->describe();
    EXPECT_EQ(*line, "error: server busy");
    EXPECT_TRUE(third.expect_eof(5s));
    // The two below the cap are unharmed, and once one leaves there is room again.
    ASSERT_TRUE(first.send(std::string_view(png).substr(50)));
    first.half_close();
    auto link = first.read_line(10s);
    EXPECT_TRUE(link && link->starts_with("http://")) << s.server->describe();
    EXPECT_TRUE(first.expect_eof(5s));
    EXPECT_TRUE(eventually([&] { return upload(*s.server, png, "later").starts_with("http://"); }))
        << s.server->describe();
}

// NAME's random part carries at least 64 bits: 16 hex digits (or more characters of a
// smaller alphabet), and no two links share it.
TEST(V6Upload, ANamesRandomPartCarriesAtLeast64Bits) {
    auto s = start_upload_server();
    auto png = make_png();
    std::set<std::string> seen;
    std::vector<std::set<char>> at_position;  // a fixed character is no random bit
    for (int i = 0; i < 20; ++i) {
        auto name = name_of(upload(*s.server, png));
        ASSERT_TRUE(name.ends_with(".png")) << escape(name);
        auto stem = name.substr(0, name.size() - 4);
        auto random = stem.substr(stem.find_last_of("-_") + 1);  // after the timestamp
        // Bits a string of this length can hold, for the smallest alphabet it fits in.
        double bits_per_char =
            random.find_first_not_of("0123456789abcdef") == std::string::npos                   ? 4
            : random.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567") == std::string::npos ? 5
                                                                                                : 6;
        EXPECT_GE(static_cast<double>(random.size()) * bits_per_char, 64.0)
            << escape(name) << ": the random part is " << escape(random);
        EXPECT_TRUE(seen.insert(random).second) << "a random part came twice: " << random;
        at_position.resize(std::max(at_position.size(), random.size()));
        for (std::size_t at = 0; at < random.size(); ++at) {
            at_position[at].insert(random[at]);
        }
    }
    // Over 20 names, a random character repeats at one place with odds below 1 in 10^20.
    for (std::size_t at = 0; at < at_position.size(); ++at) {
        EXPECT_GT(at_position[at].size(), 1u)
            << "character " << at << " of the random part never changes: " << *seen.begin();
    }
}

TEST(V6Upload, AfterKillNineNothingIsLeft) {
    // The upload is written to an unnamed file (O_TMPFILE): it has a name only once it is
    // complete, so a killed server leaves nothing to clean up.
    TempDir work;
    ServerOptions options;
    options.process.working_directory = work.path();
    auto png = make_png_of_size(200'000);
    auto s = start_upload_server("", {}, options);
    auto c = s.server->connect("interrupted");
    ASSERT_TRUE(c.send(std::string_view(png).substr(0, png.size() / 2)));
    EXPECT_TRUE(c.expect_silence(200ms));  // the server has taken (some of) it by now
    s.server->process().send_signal(SIGKILL);
    ASSERT_TRUE(s.server->process().wait_exit(deadline_in(5s)).has_value());
    EXPECT_EQ(s.files(), Files{});
}

TEST(V6Upload, ASecondServerOnTheSameDataDirLeavesTheFirstOnesUploadAlone) {
    TempDir work;
    ServerOptions options;
    options.process.working_directory = work.path();
    auto png = make_png_of_size(200'000);
    auto first = start_upload_server("", {}, options);
    auto c = first.server->connect("in progress");
    ASSERT_TRUE(c.send(std::string_view(png).substr(0, png.size() / 2)));
    EXPECT_TRUE(c.expect_silence(200ms));
    auto second = start_upload_server("", {}, options);  // same directory, same data_dir
    ASSERT_TRUE(c.send(std::string_view(png).substr(png.size() / 2)));
    c.half_close();
    auto link = c.read_line(10s);
    ASSERT_TRUE(link && link->starts_with("http://"))
        << (link ? escape(*link) : "no answer") << "\n"
        << first.server->describe() << "\n"
        << second.server->describe();
    EXPECT_EQ(read_file(first.data_dir() + "/" + name_of(*link)), png);
}

// A file-size limit (RLIMIT_FSIZE, inherited by the server) makes write() fail with
// EFBIG, as a full disk makes it fail with ENOSPC: the upload cannot be stored. The
// client hears it at once, not after read_timeout_secs, and the cause is logged.
TEST(V6Upload, AStorageErrorIsAnsweredAtOnceAndLogged) {
    rlimit before{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
    rlimit small = before;
    small.rlim_cur = 20'000;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::optional<UploadServer> started;
    try {
        started = start_upload_server("read_timeout_secs = 60\n");
    } catch (...) {
        ::setrlimit(RLIMIT_FSIZE, &before);
        throw;
    }
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &before), 0);  // the test itself writes freely again
    auto& s = *started;

    auto c = s.server->connect("too big for the disk");
    auto start = Clock::now();
    (void)c.send(make_png_of_size(100'000), 10s);  // no half-close: the answer comes anyway
    auto line = c.read_line(10s);
    ASSERT_TRUE(line.has_value()) << s.server->describe();
    EXPECT_EQ(*line, "error: could not store the upload") << s.server->describe();
    EXPECT_LT(Clock::now() - start, deadline_scale(5s)) << "answered only after a timeout";
    EXPECT_EQ(s.files(), Files{});
    EXPECT_TRUE(eventually([&] {
        return s.server->process().stderr_text().find("File too large") != std::string::npos;
    })) << "the cause (EFBIG) must be logged\n"
        << s.server->describe();
    EXPECT_NE(read_file(s.server->directory() + "/server.log").find("File too large"),
              std::string::npos)
        << "the error log (server.log) names the cause too";
    // The server goes on: a small upload still fits.
    EXPECT_TRUE(upload(*s.server, make_png(8, 8)).starts_with("http://")) << s.server->describe();
}

// The client: prints the link, refuses a non-PNG before sending, reports errors.
class V6Client : public testing::Test {
protected:
    std::string write(const std::string& name, const std::string& bytes) {
        std::string path = files_.path() + "/" + name;
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }
    TempDir files_;
};

TEST_F(V6Client, PrintsTheLinkAndExitsZero) {
    auto s = start_upload_server();
    auto png = make_png();
    auto run = run_client(stage("v6").client_path(),
                          {"--address", s.server->address(), write("a.png", png)}, "");
    EXPECT_EQ(run.exit_status, 0) << run.err;
    ASSERT_TRUE(run.out.starts_with("http://" + s.http_address() + "/images/")) << escape(run.out);
    ASSERT_TRUE(run.out.ends_with(".png\n")) << escape(run.out);
    auto link = run.out.substr(0, run.out.size() - 1);
    EXPECT_EQ(read_file(s.data_dir() + "/" + name_of(link)), png);
}

TEST_F(V6Client, RefusesANonPngBeforeSending) {
    auto s = start_upload_server();
    auto run =
        run_client(stage("v6").client_path(),
                   {"--address", s.server->address(), write("notes.png", "just text\n")}, "");
    ASSERT_TRUE(run.exit_status.has_value());
    EXPECT_TRUE(*run.exit_status == 1 || *run.exit_status == 2) << *run.exit_status;
    EXPECT_NE(run.err.find("not a PNG"), std::string::npos) << escape(run.err);
    EXPECT_TRUE(expect_printed(run, ""));
}

TEST_F(V6Client, ReportsTheServersErrorAndExitsOne) {
    auto s = start_upload_server("max_upload_bytes = 2000\n");
    auto run = run_client(
        stage("v6").client_path(),
        {"--address", s.server->address(), write("big.png", make_png_of_size(50000))}, "");
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_TRUE(run.err.starts_with("error: ")) << escape(run.err);
    EXPECT_TRUE(expect_printed(run, ""));
    EXPECT_EQ(s.files(), Files{});
}

TEST_F(V6Client, ARefusedConnectionIsExitOne) {
    int port;
    {
        auto s = start_upload_server();
        port = s.server->port();
    }  // stopped: nobody listens there now
    auto run = run_client(
        stage("v6").client_path(),
        {"--address", "127.0.0.1:" + std::to_string(port), write("a.png", make_png())}, "");
    EXPECT_EQ(run.exit_status, 1) << run.err;
    EXPECT_FALSE(run.err.empty());
}

// A server that takes the connection and never answers: the client gives up after its
// --timeout, says so, and exits 1.
TEST_F(V6Client, NoAnswerWithinTheTimeoutIsAMessageAndExitOne) {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
    ASSERT_EQ(::listen(listener, 4), 0);  // connections complete in the backlog, unanswered
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
    auto run = run_client(stage("v6").client_path(),
                          {"--address", "127.0.0.1:" + std::to_string(ntohs(address.sin_port)),
                           "--timeout", "1", write("a.png", make_png())},
                          "", 10s);
    ::close(listener);
    EXPECT_EQ(run.exit_status, 1) << escape(run.err);
    EXPECT_FALSE(run.err.empty());
    EXPECT_TRUE(expect_printed(run, ""));
}

TEST_F(V6Client, ADirectoryIsNamedAsSuch) {
    auto run =
        run_client(stage("v6").client_path(), {"--address", "127.0.0.1:1", files_.path()}, "");
    ASSERT_TRUE(run.exit_status.has_value());
    EXPECT_NE(*run.exit_status, 0);
    EXPECT_NE(run.err.find("directory"), std::string::npos) << escape(run.err);
    EXPECT_EQ(run.err.find("not a PNG"), std::string::npos) << escape(run.err);
}

TEST_F(V6Client, AnUnreadableFileIsNamedAsSuch) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root reads any file: an unreadable file cannot be made here";
    }
    auto path = write("locked.png", make_png());
    std::filesystem::permissions(path, std::filesystem::perms::none);
    auto run = run_client(stage("v6").client_path(), {"--address", "127.0.0.1:1", path}, "");
    ASSERT_TRUE(run.exit_status.has_value());
    EXPECT_NE(*run.exit_status, 0);
    EXPECT_NE(run.err.find("cannot read"), std::string::npos) << escape(run.err);
}

TEST_F(V6Client, NetcatWorksToo) {
    if (!std::filesystem::exists("/usr/bin/nc") && !std::filesystem::exists("/bin/nc")) {
        GTEST_SKIP() << "nc is not installed";
    }
    auto s = start_upload_server();
    auto png = make_png();
    auto run =
        run_client("/usr/bin/nc", {"-N", s.server->host(), std::to_string(s.server->port())}, png);
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_TRUE(run.out.starts_with("http://" + s.http_address() + "/images/")) << escape(run.out);
}

// The lesson's "what you should see": the link differs in every run (port, time, random
// suffix), so the printed line is compared as a pattern.
TEST(V6Lesson, TheTranscriptMatchesARealRun) {
    auto transcript = read_transcript(stage("v6"));
    ASSERT_EQ(transcript.printed.size(), 1u);
    auto s = start_upload_server();
    std::vector<std::string> args = {"--address", s.server->address()};
    args.insert(args.end(), transcript.client_args.begin(), transcript.client_args.end());
    ProcessOptions in_source;
    in_source.working_directory = source_dir();  // the lesson runs from the course's root
    auto run = run_client(stage("v6").client_path(), args, transcript.typed, 10s, in_source);
    EXPECT_EQ(run.exit_status, 0) << run.err;
    auto shape = [](std::string line) {
        line = std::regex_replace(line, std::regex(R"(127\.0\.0\.1:\d+)"), "HOST:PORT");
        return std::regex_replace(line, std::regex(R"(\d{8}T\d{6}Z-[0-9a-f]{16}\.png)"), "NAME");
    };
    EXPECT_EQ(shape(run.out), shape(transcript.printed[0] + "\n"))
        << "v6-upload/README.md's transcript vs a real run: " << escape(run.out);
    EXPECT_EQ(shape(transcript.printed[0]), "http://HOST:PORT/images/NAME");
}

}  // namespace
}  // namespace course::test
