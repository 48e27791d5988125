// Unit tests of the upload files (v6-upload/storage.hpp): names, temporaries, commit.
#include "storage.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness.hpp"

namespace course::test {
namespace {

std::span<const std::byte> bytes(std::string_view text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

TEST(Storage, UploadNamesMatchOnlyTheExactPattern) {
    EXPECT_TRUE(is_upload_name("20261122T173512Z-3f9a1c0b2e4d6a81.png"));
    for (auto bad :
         {"", "..", "../20261122T173512Z-3f9a1c0b2e4d6a81.png",
          "20261122T173512Z-3f9a1c0b2e4d6a81.png/", "/20261122T173512Z-3f9a1c0b2e4d6a8.png",
          "20261122T173512Z-3F9A1C0B2E4D6A81.png", "20261122T173512Z-3f9a1c0b2e4d6a81.PNG",
          "20261122T173512Z-3f9a1c0b2e4d6a81.png.tmp", ".upload-abcdef.tmp",
          "2026112xT173512Z-3f9a1c0b2e4d6a81.png", "config.toml"}) {
        EXPECT_FALSE(is_upload_name(bad)) << bad;
    }
}

TEST(Storage, ATemporaryIsRemovedUnlessCommitted) {
    TempDir dir;
    std::filesystem::path path;
    {
        TempFile file(dir.path());
        path = file.path();
        EXPECT_TRUE(is_temporary_name(path.filename().string())) << path;
        file.write(bytes("half a png"));
        EXPECT_TRUE(std::filesystem::exists(path));
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(dir.list().empty());
}

TEST(Storage, CommitGivesAFinalNameAndTheSameBytes) {
    TempDir dir;
    std::string name;
    {
        TempFile file(dir.path());
        file.write(bytes("all of it"));
        name = file.commit();
    }
    EXPECT_TRUE(is_upload_name(name)) << name;
    ASSERT_EQ(dir.list(), std::vector<std::string>{name});
    std::ifstream in(dir.path() + "/" + name);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(content, "all of it");
}

TEST(Storage, StaleTemporariesAreRemovedAndNothingElse) {
    TempDir dir;
    for (auto name : {".upload-abc123.tmp", ".upload-ZZZZZZ.tmp",
                      "20261122T173512Z-3f9a1c0b2e4d6a81.png", "notes.txt"}) {
        std::ofstream(dir.path() + "/" + name) << "x";
    }
    EXPECT_EQ(remove_stale_temporaries(dir.path()), 2u);
    EXPECT_EQ(dir.list(),
              (std::vector<std::string>{"20261122T173512Z-3f9a1c0b2e4d6a81.png", "notes.txt"}));
}

}  // namespace
}  // namespace course::test
