// v6-upload's HTTP side: GET URL/NAME serves an upload as image/png; nothing else, and
// nothing outside data_dir, can be reached.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "png_maker.hpp"
#include "v6_helpers.hpp"

namespace course::test {
namespace {

TEST(V6Http, AnUploadIsServedAsImagePngWithTheSameBytes) {
    auto s = start_upload_server();
    auto png = make_png();
    auto link = upload(*s.server, png);
    std::string prefix = "http://" + s.http_address();
    ASSERT_TRUE(link.starts_with(prefix)) << escape(link);
    auto reply = http_get(s.http_host, s.http_port, link.substr(prefix.size()));
    EXPECT_EQ(reply.status, 200) << reply.raw_head;
    EXPECT_EQ(reply.content_type, "image/png") << reply.raw_head;
    EXPECT_EQ(reply.body, png);
}

TEST(V6Http, NothingElseIsReachable) {
    auto s = start_upload_server();
    auto link = upload(*s.server, make_png());
    auto name = name_of(link);
    // Things an attacker would like to read: a file beside data_dir, a file in data_dir
    // that is no upload, a temporary, a symlink under an upload's name.
    std::ofstream(s.server->directory() + "/secret.txt") << "SECRET";
    std::ofstream(s.data_dir() + "/notes.png") << "SECRET";
    std::ofstream(s.data_dir() + "/.upload-AbCdEf.tmp") << "SECRET";
    std::string planted = "20200101T000000Z-0123456789abcdef.png";
    std::filesystem::create_symlink(s.server->directory() + "/secret.txt",
                                    s.data_dir() + "/" + planted);

    for (const std::string& target :
         std::vector<std::string>{"/images/../secret.txt",
                                  "/images/%2e%2e/secret.txt",
                                  "/images/..%2fsecret.txt",
                                  "/images/%2e%2e%2fsecret.txt",
                                  "/images/%2E%2E/%2E%2E/etc/passwd",
                                  "/images/../../../../etc/passwd",
                                  "/secret.txt",
                                  "/etc/passwd",
                                  "//etc/passwd",
                                  "/images//etc/passwd",
                                  "/images/%2fetc%2fpasswd",
                                  "/images/notes.png",
                                  "/images/.upload-AbCdEf.tmp",
                                  "/images/20991231T235959Z-ffffffffffffffff.png",
                                  "/images/" + planted,
                                  "/images/",
                                  "/images",
                                  "/",
                                  "/uploads/" + name,
                                  "/" + name,
                                  "/IMAGES/" + name,
                                  "/images/" + name + "/..",
                                  "/images/" + name + "%00",
                                  "/images/" + name + ".tmp",
                                  "/images/./" + name + "x",
                                  "/images/%2e%2e/uploads/" + name}) {
        auto reply = http_get(s.http_host, s.http_port, target);
        EXPECT_EQ(reply.status, 404) << "GET " << target << "\n" << reply.raw_head;
        EXPECT_EQ(reply.body.find("SECRET"), std::string::npos) << "GET " << target;
        EXPECT_EQ(reply.body.find("root:"), std::string::npos) << "GET " << target;
    }
    // The real one still works.
    EXPECT_EQ(http_get(s.http_host, s.http_port, "/images/" + name).status, 200);
}

// A Range header is ignored (200 and the whole file) or answered exactly as RFC 9110
// says; never a wrong length, never more bytes than the file.
void expect_exact_range_answer(const HttpReply& reply, const std::string& file,
                               const std::string& range) {
    SCOPED_TRACE("Range: " + range.substr(0, 60));
    auto length = header_of(reply, "Content-Length");
    ASSERT_TRUE(length.has_value()) << reply.raw_head;
    EXPECT_EQ(*length, std::to_string(reply.body.size())) << reply.raw_head;
    EXPECT_LE(reply.body.size(), file.size()) << reply.raw_head;
    if (reply.status == 200) {
        EXPECT_EQ(reply.body, file);
    } else if (reply.status == 206) {
        auto content_range = header_of(reply, "Content-Range");
        ASSERT_TRUE(content_range.has_value()) << reply.raw_head;
        unsigned long long first = 0, last = 0, size = 0;
        ASSERT_EQ(std::sscanf(content_range->c_str(), "bytes %llu-%llu/%llu", &first, &last, &size),
                  3)
            << *content_range;
        EXPECT_EQ(size, file.size());
        ASSERT_LT(last, file.size());
        EXPECT_EQ(reply.body, file.substr(first, last - first + 1));
    } else {
        EXPECT_EQ(reply.status, 416) << reply.raw_head;
        EXPECT_EQ(header_of(reply, "Content-Range"), "bytes */" + std::to_string(file.size()));
    }
}

TEST(V6Http, ARangeIsIgnoredOrExactNeverAWrongLength) {
    auto s = start_upload_server();
    auto png = make_png(1, 1);
    ASSERT_LT(png.size(), 100u);
    auto target = "/images/" + name_of(upload(*s.server, png));
    std::string thousand = "bytes=";
    for (int i = 0; i < 1000; ++i) {
        thousand += (i ? ",0-" : "0-") + std::to_string(png.size() - 1);
    }
    for (const std::string& range :
         {std::string("bytes=100-"), std::string("bytes=5000-6000"), std::string("bytes=0-9"),
          std::string("bytes=-5"), std::string("bytes=10-5"), std::string("bytes=x"),
          std::string("bytes=0-18446744073709551615"), thousand}) {
        auto reply = http_get(s.http_host, s.http_port, target, "Range: " + range + "\r\n");
        expect_exact_range_answer(reply, png, range);
    }
}

TEST(V6Http, HeadAnswersTheHeadersWithoutTheBody) {
    auto s = start_upload_server();
    auto png = make_png();
    auto target = "/images/" + name_of(upload(*s.server, png));
    auto c = connect_to(s.http_host, s.http_port, "head");
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(c->send("HEAD " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto raw = c->read_to_eof(5s);
    EXPECT_TRUE(raw.starts_with("HTTP/1.1 200")) << escape(raw);
    EXPECT_NE(raw.find("Content-Length: " + std::to_string(png.size()) + "\r\n"), std::string::npos)
        << escape(raw);
    EXPECT_TRUE(raw.ends_with("\r\n\r\n")) << "no body after HEAD: " << escape(raw);
}

TEST(V6Http, KeepAliveAndPipelinedRequestsAreEachAnswered) {
    auto s = start_upload_server();
    auto png = make_png();
    auto target = "/images/" + name_of(upload(*s.server, png));
    auto c = connect_to(s.http_host, s.http_port, "pipelined");
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(c->send("GET " + target +
                        " HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\nGET " +
                        target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto raw = c->read_to_eof(5s);
    std::size_t images = 0;
    for (auto at = raw.find(png); at != std::string::npos; at = raw.find(png, at + 1)) {
        ++images;
    }
    EXPECT_EQ(images, 2u) << escape(raw, 300);
    EXPECT_NE(raw.find("HTTP/1.1 404"), std::string::npos) << escape(raw, 300);
}

TEST(V6Http, AnEndlessHeadIsRefusedWithBoundedMemory) {
    auto s = start_upload_server();
    auto c = connect_to(s.http_host, s.http_port, "endless head");
    ASSERT_TRUE(c.has_value());
    (void)c->send("GET / HTTP/1.1\r\nHost: x\r\n");
    std::string header = "X-Padding: " + std::string(1000, 'a') + "\r\n";
    for (int i = 0; i < 200 && !c->peer_closed(); ++i) {  // 200 KB of head, at most
        if (c->send_some(header) == 0) {
            break;
        }
    }
    auto line = c->read_line(5s);
    ASSERT_TRUE(line.has_value()) << s.server->describe();
    EXPECT_TRUE(line->starts_with("HTTP/1.1 431") || line->starts_with("HTTP/1.1 400"))
        << escape(*line);
}

// Slowloris: clients that send a request a byte at a time, or keep a connection open and
// never send the next request, must not delay anyone else's GET. Before this stage's own
// HTTP side, a pool of four blocking threads served HTTP: four such clients stopped it.
TEST(V6Http, AHundredSlowClientsDoNotDelayAGet) {
    auto s = start_upload_server();
    auto png = make_png();
    auto target = "/images/" + name_of(upload(*s.server, png));
    std::vector<Connection> slow;
    for (int i = 0; i < 100; ++i) {
        auto c = connect_to(s.http_host, s.http_port, "slow " + std::to_string(i));
        ASSERT_TRUE(c.has_value()) << i;
        if (i % 2 == 0) {  // half of them send a request's head a byte at a time
            ASSERT_TRUE(c->send("G"));
        } else {  // the others ask once, keep the connection and say nothing more
            ASSERT_TRUE(c->send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
        }
        slow.push_back(std::move(*c));
    }
    const std::string trickle = "ET /images/ HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaa";
    std::atomic<bool> done{false};
    std::thread trickler([&] {
        for (std::size_t at = 0; !done && at < trickle.size(); ++at) {
            for (std::size_t i = 0; i < slow.size(); i += 2) {
                (void)slow[i].send_some(trickle.substr(at, 1));
            }
            for (int wait = 0; wait < 10 && !done; ++wait) {
                std::this_thread::sleep_for(50ms);  // pacing the trickle: a byte each 0.5 s
            }
        }
    });
    auto start = Clock::now();
    auto reply = http_get(s.http_host, s.http_port, target);
    auto took = Clock::now() - start;
    done = true;
    trickler.join();
    EXPECT_EQ(reply.status, 200) << reply.raw_head << "\n" << s.server->describe();
    EXPECT_EQ(reply.body, png);
    EXPECT_LT(took, deadline_scale(5s)) << "the GET waited behind the slow clients";
}

// Each request has a deadline (read_timeout_secs for its head): a trickling client or an
// idle keep-alive connection is closed once it passes, so it holds nothing for long.
TEST(V6Http, ASlowRequestAndAnIdleConnectionAreClosedAtTheirDeadline) {
    auto s = start_upload_server("read_timeout_secs = 1\n");
    auto slow = connect_to(s.http_host, s.http_port, "trickling");
    auto idle = connect_to(s.http_host, s.http_port, "idle keep-alive");
    ASSERT_TRUE(slow && idle);
    ASSERT_TRUE(idle->send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto start = Clock::now();
    const std::string trickle = "GET /images/ HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaa";
    bool closed = false;
    for (std::size_t at = 0; at < trickle.size() && !closed; ++at) {
        (void)slow->send_some(trickle.substr(at, 1));
        closed = how_it_closed(*slow, 200ms) != "open";  // also the pace: 5 bytes a second
    }
    EXPECT_TRUE(closed) << "a request a byte at a time was never cut\n" << s.server->describe();
    EXPECT_LT(Clock::now() - start, deadline_scale(5s));
    auto rest = idle->read_to_eof(5s);
    EXPECT_TRUE(idle->peer_closed()) << "the idle keep-alive connection stays open";
    EXPECT_NE(rest.find("404"), std::string::npos) << escape(rest);
}

}  // namespace
}  // namespace course::test
