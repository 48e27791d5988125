// The link the server answers opens in a real browser: headless Chromium loads it as an
// <img> and reports the image's size, which only a decoded, valid PNG has.
#include <filesystem>
#include <fstream>

#include "png_maker.hpp"
#include "v6_helpers.hpp"

namespace course::test {
namespace {

TEST(V6Browser, TheLinkOpensInChromium) {
    const std::string chromium = "/usr/bin/chromium";
    if (!std::filesystem::exists(chromium)) {
        GTEST_SKIP() << chromium
                     << " is not installed (./course installs it; apt-get install chromium)";
    }
    auto s = start_upload_server();
    auto link = upload(*s.server, make_png(64, 48));
    ASSERT_TRUE(link.starts_with("http://")) << escape(link) << "\n" << s.server->describe();

    TempDir page_dir, profile;
    std::string page = page_dir.path() + "/page.html";
    std::ofstream(page) << "<!doctype html><html><head><title>loading</title></head><body>"
                           "<img src=\""
                        << link
                        << "\" onload=\"document.title="
                           "'size '+this.naturalWidth+'x'+this.naturalHeight\" "
                           "onerror=\"document.title='failed'\"></body></html>\n";
    auto run = run_client(
        chromium,
        {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--user-data-dir=" + profile.path(), "--virtual-time-budget=10000", "--dump-dom",
         "file://" + page},
        "", 90s);
    ASSERT_TRUE(run.exit_status.has_value()) << "chromium did not finish; stderr: " << run.err;
    EXPECT_NE(run.out.find("<title>size 64x48</title>"), std::string::npos)
        << "the DOM chromium dumped: " << escape(run.out, 2000)
        << "\nchromium's stderr: " << escape(run.err, 2000) << "\n"
        << s.server->describe();
}

}  // namespace
}  // namespace course::test
