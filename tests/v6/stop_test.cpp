// v6-upload's stop: SIGINT/SIGTERM stops accepting on both ports, tells an upload in
// progress `error: server shutting down` (and keeps no file of it), closes HTTP
// connections, and exits 0 within 2 seconds, whatever any client is doing.
#include <signal.h>

#include "png_maker.hpp"
#include "v6_helpers.hpp"

namespace course::test {
namespace {

using Files = std::vector<std::string>;

TEST(V6Stop, AnUploadInProgressIsToldAndLeavesNoFile) {
    for (int signal_number : {SIGTERM, SIGINT}) {
        auto s = start_upload_server();
        auto png = make_png_of_size(100'000);
        auto c = s.server->connect("mid-upload");
        ASSERT_TRUE(c.send(std::string_view(png).substr(0, png.size() / 2)));
        EXPECT_TRUE(c.expect_silence(100ms));
        auto stopped = s.server->stop(signal_number, 2s);
        EXPECT_EQ(stopped, 0) << s.server->describe();
        EXPECT_EQ(c.read_line(2s).value_or("nothing"), "error: server shutting down")
            << s.server->describe();
        EXPECT_EQ(s.files(), Files{});
    }
}

TEST(V6Stop, AnUploadThatKeepsSendingCannotHoldUpTheStop) {
    auto s = start_upload_server();
    auto png = make_png_of_size(1'000'000);
    auto c = s.server->connect("still sending");
    ASSERT_TRUE(c.send(std::string_view(png).substr(0, 1000)));
    EXPECT_TRUE(c.expect_silence(100ms));
    s.server->process().send_signal(SIGTERM);
    // Keep sending as fast as the server takes it, while it stops.
    auto until = deadline_in(3s);
    std::size_t at = 1000;
    while (s.server->process().running() && Clock::now() < until && at < png.size()) {
        at += c.send_some(std::string_view(png).substr(at, 4096));
    }
    EXPECT_EQ(s.server->process().wait_exit(deadline_in(2s)), 0) << s.server->describe();
    EXPECT_EQ(s.files(), Files{});
}

TEST(V6Stop, ASlowHttpClientMidRequestIsClosedAndCannotHoldUpTheStop) {
    auto s = start_upload_server();
    auto slow = connect_to(s.http_host, s.http_port, "slow http");
    ASSERT_TRUE(slow.has_value());
    ASSERT_TRUE(slow->send("GET /images/"));  // ... and the rest never comes
    auto idle = connect_to(s.http_host, s.http_port, "idle keep-alive");
    ASSERT_TRUE(idle.has_value());
    ASSERT_TRUE(idle->send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto head = idle->read_line(5s);
    ASSERT_TRUE(head && head->starts_with("HTTP/1.1 404")) << s.server->describe();
    EXPECT_EQ(s.server->stop(SIGTERM, 2s), 0) << s.server->describe();
    EXPECT_NE(how_it_closed(*slow, 1s), "open");
    EXPECT_TRUE(idle->read_to_eof(1s).find("not found") != std::string::npos ||
                idle->peer_closed());
    EXPECT_FALSE(connect_to(s.http_host, s.http_port, "late", 500ms).has_value())
        << "the HTTP port must be closed";
    EXPECT_FALSE(s.server->try_connect("late upload", 500ms).has_value())
        << "the upload port must be closed";
}

TEST(V6Stop, ASignalRightAfterListeningOnIsAGracefulStop) {
    for (int i = 0; i < 5; ++i) {
        auto s = start_upload_server();
        EXPECT_EQ(s.server->stop(SIGTERM, 2s), 0) << "try " << i << "\n" << s.server->describe();
    }
}

TEST(V6Stop, NoConnectionsStopsAtOnceWithExitZero) {
    auto s = start_upload_server();
    EXPECT_TRUE(upload(*s.server, make_png()).starts_with("http://"));
    EXPECT_EQ(s.server->stop(SIGINT, 2s), 0) << s.server->describe();
}

}  // namespace
}  // namespace course::test
