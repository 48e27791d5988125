// v6-upload's HTTP side: GET URL/NAME serves an upload as image/png; nothing else, and
// nothing outside data_dir, can be reached.
#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace course::test
