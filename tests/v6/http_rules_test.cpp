// v6-upload's HTTP side against RFC 9112's rules for the GET/HEAD it speaks, its limits
// (one head's size, the connection cap, a budget of refusals), and what may be planted
// in data_dir under an upload's name.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <fstream>

#include "png_maker.hpp"
#include "v6_helpers.hpp"

namespace course::test {
namespace {

// An image uploaded, and its path on the HTTP side.
struct Served {
    UploadServer s;
    std::string png;
    std::string target;
};

Served serve_one_image(const std::string& config = "") {
    Served served{start_upload_server(config), make_png(), ""};
    served.target = "/images/" + name_of(upload(*served.s.server, served.png));
    return served;
}

// Sends `request` bytes as they are on a fresh connection and reads until the server
// closes (every request here asks to close, or is refused).
std::string exchange(UploadServer& s, const std::string& request, const std::string& name) {
    auto c = connect_to(s.http_host, s.http_port, name);
    if (!c) {
        return "";
    }
    (void)c->send(request);
    return c->read_to_eof(5s);
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// A request head of exactly `size` bytes, its empty line included.
std::string head_of_size(const std::string& target, std::size_t size) {
    std::string start = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: ";
    return start + std::string(size - start.size() - 4, 'a') + "\r\n\r\n";
}

TEST(V6HttpRules, PipelinedRequestsOfAnyTotalSizeAreEachAnsweredInOrder) {
    auto [s, png, target] = serve_one_image();
    const std::string padding = "X-Pad: " + std::string(1000, 'p') + "\r\n";
    std::string requests;
    for (int i = 0; i < 20; ++i) {  // 20 KiB in all, each head about 1 KiB
        requests += "GET " + (i % 2 == 0 ? target : "/nothing-" + std::to_string(i)) +
                    " HTTP/1.1\r\nHost: x\r\n" + padding +
                    (i == 19 ? "Connection: close\r\n" : "") + "\r\n";
    }
    auto raw = exchange(s, requests, "pipelined 20 KiB");
    EXPECT_EQ(count_of(raw, "HTTP/1.1 "), 20u) << escape(raw, 400) << "\n" << s.server->describe();
    EXPECT_EQ(count_of(raw, "HTTP/1.1 431"), 0u) << escape(raw, 400);
    EXPECT_EQ(count_of(raw, png), 10u);
    // In order: an image, then a 404, and so on.
    EXPECT_LT(raw.find(png), raw.find("HTTP/1.1 404")) << escape(raw, 400);
}

TEST(V6HttpRules, AHeadOfExactly8192BytesIsServedAndOneMoreIs431) {
    auto [s, png, target] = serve_one_image();
    auto exact = exchange(s, head_of_size(target, 8192), "8192-byte head");
    EXPECT_TRUE(exact.starts_with("HTTP/1.1 200")) << escape(exact, 200) << s.server->describe();
    EXPECT_TRUE(exact.ends_with(png)) << escape(exact, 200);
    auto over = exchange(s, head_of_size(target, 8193), "8193-byte head");
    EXPECT_TRUE(over.starts_with("HTTP/1.1 431")) << escape(over, 200) << s.server->describe();
}

TEST(V6HttpRules, EmptyLinesBeforeARequestLineAreIgnored) {
    auto [s, png, target] = serve_one_image();
    for (std::string before : {"\r\n", "\r\n\r\n\r\n", "\n"}) {
        auto raw = exchange(
            s, before + "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "empty lines first");
        EXPECT_TRUE(raw.starts_with("HTTP/1.1 200")) << escape(before) << ": " << escape(raw, 200);
    }
}

TEST(V6HttpRules, ABareLfEndsALineLikeCrLf) {
    auto [s, png, target] = serve_one_image();
    auto raw = exchange(s, "GET " + target + " HTTP/1.1\nHost: x\nConnection: close\n\n", "LF");
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 200")) << escape(raw, 200) << s.server->describe();
    EXPECT_TRUE(raw.ends_with(png));
    auto mixed =
        exchange(s, "GET " + target + " HTTP/1.1\r\nHost: x\nConnection: close\r\n\n", "mixed");
    EXPECT_TRUE(mixed.starts_with("HTTP/1.1 200")) << escape(mixed, 200);
}

TEST(V6HttpRules, WhitespaceBeforeAFieldColonIsABadRequest) {
    auto [s, png, target] = serve_one_image();
    for (std::string field : {"X-Thing : y", "X-Thing\t: y", " X-Folded: y"}) {
        auto raw = exchange(
            s,
            "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + field + "\r\nConnection: close\r\n\r\n",
            "space before colon");
        EXPECT_TRUE(raw.starts_with("HTTP/1.1 400")) << escape(field) << ": " << escape(raw, 200);
    }
}

TEST(V6HttpRules, AMissingOrDoubledHostIsABadRequest) {
    auto [s, png, target] = serve_one_image();
    auto missing =
        exchange(s, "GET " + target + " HTTP/1.1\r\nConnection: close\r\n\r\n", "no Host");
    EXPECT_TRUE(missing.starts_with("HTTP/1.1 400")) << escape(missing, 200);
    auto doubled = exchange(
        s, "GET " + target + " HTTP/1.1\r\nHost: a\r\nhost: b\r\nConnection: close\r\n\r\n",
        "two Hosts");
    EXPECT_TRUE(doubled.starts_with("HTTP/1.1 400")) << escape(doubled, 200);
    // HTTP/1.0 predates Host: there it may be missing.
    auto old = exchange(s, "GET " + target + " HTTP/1.0\r\n\r\n", "HTTP/1.0");
    EXPECT_TRUE(old.starts_with("HTTP/1.1 200")) << escape(old, 200);
}

TEST(V6HttpRules, ContentLengthWithLeadingZerosIsANumber) {
    auto [s, png, target] = serve_one_image();
    auto zero = exchange(
        s,
        "GET " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: 00\r\nConnection: close\r\n\r\n",
        "Content-Length: 00");
    EXPECT_TRUE(zero.starts_with("HTTP/1.1 200")) << escape(zero, 200) << s.server->describe();
}

// Anything but a regular file under an upload's name is 404, found out without blocking:
// a FIFO opened the ordinary way would stop the whole event loop until a writer comes.
TEST(V6HttpRules, OnlyRegularFilesAreServedAndAFifoBlocksNobody) {
    auto [s, png, target] = serve_one_image();
    std::string fifo = "20200101T000000Z-00000000000000f1.png";
    std::string directory = "20200101T000000Z-00000000000000d1.png";
    std::string device = "20200101T000000Z-00000000000000c1.png";
    std::string link = "20200101T000000Z-00000000000000a1.png";
    ASSERT_EQ(::mkfifo((s.data_dir() + "/" + fifo).c_str(), 0644), 0);
    std::filesystem::create_directory(s.data_dir() + "/" + directory);
    std::filesystem::create_symlink("/dev/zero", s.data_dir() + "/" + device);
    std::filesystem::create_symlink(s.data_dir() + "/" + name_of(target),
                                    s.data_dir() + "/" + link);
    for (const auto& name : {fifo, directory, device, link}) {
        auto reply = http_get(s.http_host, s.http_port, "/images/" + name);
        EXPECT_EQ(reply.status, 404) << name << "\n" << reply.raw_head << s.server->describe();
    }
    // And the event loop goes on: uploads and GETs are served.
    EXPECT_EQ(http_get(s.http_host, s.http_port, target).body, png);
    EXPECT_TRUE(upload(*s.server, png).starts_with("http://")) << s.server->describe();
}

// At the cap, the connection that has waited longest for its next request is closed to
// make room: a newcomer is served at once, not after the idle ones time out.
TEST(V6HttpRules, AtTheCapTheLongestIdleConnectionMakesRoom) {
    auto [s, png, target] = serve_one_image("max_connections = 3\n");
    std::vector<Connection> idle;
    for (int i = 0; i < 3; ++i) {
        auto c = connect_to(s.http_host, s.http_port, "idle " + std::to_string(i));
        ASSERT_TRUE(c.has_value());
        ASSERT_TRUE(c->send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
        auto line = c->read_line(5s);  // answered: now it waits for its next request
        ASSERT_TRUE(line && line->starts_with("HTTP/1.1 404")) << s.server->describe();
        idle.push_back(std::move(*c));
    }
    auto reply = http_get(s.http_host, s.http_port, target);
    EXPECT_EQ(reply.status, 200) << reply.raw_head << "\n" << s.server->describe();
    EXPECT_EQ(reply.body, png);
    EXPECT_NE(how_it_closed(idle[0], 5s), "open") << "the longest idle connection stays open";
}

// A refusal costs a reply and maybe a log line: a connection that earns more than 64 in a
// second is told and closed, and its refusals fill the log with a line a second at most.
TEST(V6HttpRules, AFloodOfRefusalsIsCutAndLoggedOnceASecond) {
    auto [s, png, target] = serve_one_image();
    std::string requests;
    for (int i = 0; i < 300; ++i) {
        requests += "GET /nothing-" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    auto raw = exchange(s, requests, "404 flood");
    auto answers = count_of(raw, "HTTP/1.1 ");
    EXPECT_GE(answers, 65u) << escape(raw, 200);
    EXPECT_LT(answers, 300u) << "all 300 refusals answered: the connection was never cut";
    EXPECT_EQ(count_of(raw, "HTTP/1.1 429"), 1u) << escape(raw.substr(raw.size() - 200));
    auto log = read_file(s.server->directory() + "/server.log");
    EXPECT_LE(count_of(log, "bad request"), 10u) << escape(log, 1000);
    EXPECT_GE(count_of(log, "bad request"), 1u) << escape(log, 1000);
}

}  // namespace
}  // namespace course::test
