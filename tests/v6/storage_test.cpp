// Unit tests of the upload files (v6-upload/storage.hpp): names, unnamed files, commit.
#include "storage.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

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

TEST(Storage, AnUploadInProgressHasNoNameAndLeavesNothing) {
    TempDir dir;
    {
        TempFile file(dir.path());
        file.write(bytes("half a png"));
        EXPECT_TRUE(dir.list().empty()) << "an upload in progress is not in the directory";
    }
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

TEST(Storage, NamesCarrySixtyFourFreshRandomBits) {
    // Not a proof of unpredictability (that is getrandom's), but what a seeded generator
    // with a short seed or a counter would fail: every name differs, and every hex digit
    // of the suffix takes many values.
    TempDir dir;
    std::set<std::string> suffixes;
    std::vector<std::set<char>> digits(16);
    for (int i = 0; i < 200; ++i) {
        TempFile file(dir.path());
        auto name = file.commit();
        auto suffix = name.substr(17, 16);
        suffixes.insert(suffix);
        for (std::size_t d = 0; d < 16; ++d) {
            digits[d].insert(suffix[d]);
        }
    }
    EXPECT_EQ(suffixes.size(), 200u);
    for (std::size_t d = 0; d < 16; ++d) {
        EXPECT_GE(digits[d].size(), 10u) << "hex digit " << d;
    }
}

TEST(Storage, ADirectoryThatIsGoneIsAnError) {
    EXPECT_THROW(TempFile("/nonexistent/data_dir"), std::system_error);
}

}  // namespace
}  // namespace course::test
