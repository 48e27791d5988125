// Unit tests of the client's file-name rules (v5-chat/files.hpp): what a stranger names a
// file must never choose where it lands, nor overwrite anything.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "files.hpp"
#include "harness.hpp"

namespace {

TEST(ChatFiles, SanitizeKeepsOnlyAHarmlessBaseName) {
    EXPECT_EQ(sanitize_filename("a.pdf"), "a.pdf");
    EXPECT_EQ(sanitize_filename("отчёт 2026.pdf"), "отчёт 2026.pdf");
    EXPECT_EQ(sanitize_filename("../../x"), "x");
    EXPECT_EQ(sanitize_filename("/etc/passwd"), "passwd");
    EXPECT_EQ(sanitize_filename("a\nb"), "a_b");
    EXPECT_EQ(sanitize_filename("C:\\Windows\\evil.exe"), "evil.exe");
    EXPECT_EQ(sanitize_filename("a..b"), "a.b");
    EXPECT_EQ(sanitize_filename("a\x7f\x01\x1b[31m"), "a___[31m");
    EXPECT_EQ(sanitize_filename("a\xc2\x85\xc2\x9f"
                                "b"),
              "a__b");  // C1 controls
    EXPECT_EQ(sanitize_filename("a\xff\xfe"
                                "b"),
              "a__b");  // not UTF-8
    EXPECT_EQ(sanitize_filename("dir/"), "");
    for (std::string nothing : {"", ".", "..", "...", "../..", "/", "a/..", "a/."}) {
        EXPECT_EQ(sanitize_filename(nothing), "") << testing::PrintToString(nothing);
    }
    std::string long_name = std::string(300, 'x') + ".pdf";
    EXPECT_LE(sanitize_filename(long_name).size(), 200u);
    std::string cyrillic(150, ' ');
    cyrillic.clear();
    for (int i = 0; i < 150; ++i)
        cyrillic += "ё";  // 300 bytes: cut on a character boundary
    auto cut = sanitize_filename(cyrillic);
    EXPECT_LE(cut.size(), 200u);
    EXPECT_TRUE(chat::is_valid_utf8(cut));
}

TEST(ChatFiles, NeverAHiddenFile) {
    EXPECT_EQ(sanitize_filename(".bash_profile"), "_bash_profile");
    EXPECT_EQ(sanitize_filename("..bashrc"), "_bashrc");  // a run of dots is one dot
    EXPECT_EQ(sanitize_filename("dir/.ssh"), "_ssh");
    EXPECT_EQ(sanitize_filename("\xe2\x80\x8b.profile"), "_.profile");  // U+200B first
    EXPECT_EQ(sanitize_filename("a.pdf."), "a.pdf.") << "only a leading dot hides a file";
}

TEST(ChatFiles, FormatCharactersBecomeUnderscores) {
    // U+202E RIGHT-TO-LEFT OVERRIDE: "invoice<RLO>fdp.exe" reads as "invoiceexe.pdf".
    EXPECT_EQ(sanitize_filename("invoice\xe2\x80\xae"
                                "fdp.exe"),
              "invoice_fdp.exe");
    EXPECT_EQ(sanitize_filename("a\xc2\xad"
                                "b"),
              "a_b");  // U+00AD SOFT HYPHEN
    EXPECT_EQ(sanitize_filename("a\xe2\x81\xa6"
                                "b\xef\xbb\xbf"),
              "a_b_");  // U+2066 LEFT-TO-RIGHT ISOLATE, U+FEFF
    EXPECT_EQ(sanitize_filename("a\xf3\xa0\x80\x81"
                                "b"),
              "a_b");  // U+E0001 LANGUAGE TAG
    EXPECT_EQ(sanitize_filename("\xc3\xa9t\xc3\xa9.txt"), "\xc3\xa9t\xc3\xa9.txt")
        << "letters stay";
}

TEST(ChatFiles, FallbackNameByTypeAndTime) {
    EXPECT_EQ(fallback_filename(6, "2026-11-22T12:00:00.123Z"), "image-20261122T120000.123Z");
    EXPECT_EQ(fallback_filename(9, "2026-11-22T12:00:00.123Z"), "voice-20261122T120000.123Z");
    EXPECT_EQ(fallback_filename(8, "../../evil"), "file-evil");
}

TEST(ChatFiles, SaveNeverOverwrites) {
    course::test::TempDir dir;
    std::ofstream(dir.path() + "/a.pdf") << "old";
    auto first = save_new_file(dir.path(), "a.pdf", "one");
    auto second = save_new_file(dir.path(), "a.pdf", "two");
    auto plain = save_new_file(dir.path(), "README", "three");
    auto again = save_new_file(dir.path(), "README", "four");
    auto dotted = save_new_file(dir.path(), "_profile", "five");
    auto dotted2 = save_new_file(dir.path(), "_profile", "six");
    EXPECT_EQ(first.path, dir.path() + "/a (1).pdf") << first.error;
    EXPECT_EQ(second.path, dir.path() + "/a (2).pdf") << second.error;
    EXPECT_EQ(plain.path, dir.path() + "/README");
    EXPECT_EQ(again.path, dir.path() + "/README (1)");
    EXPECT_EQ(dotted.path, dir.path() + "/_profile");
    EXPECT_EQ(dotted2.path, dir.path() + "/_profile (1)");
    auto read = [](const std::string& path) {
        std::ifstream file(path);
        return std::string(std::istreambuf_iterator<char>(file), {});
    };
    EXPECT_EQ(read(dir.path() + "/a.pdf"), "old");
    EXPECT_EQ(read(first.path), "one");
    EXPECT_EQ(read(second.path), "two");
}

TEST(ChatFiles, ASymlinkIsNeverFollowed) {
    course::test::TempDir dir, elsewhere;
    std::string target = elsewhere.path() + "/target";
    ASSERT_EQ(::symlink(target.c_str(), (dir.path() + "/a.pdf").c_str()), 0);
    auto saved = save_new_file(dir.path(), "a.pdf", "data");
    EXPECT_EQ(saved.path, dir.path() + "/a (1).pdf") << saved.error;
    EXPECT_FALSE(std::filesystem::exists(target)) << "written through the symlink";
}

TEST(ChatFiles, AMissingDirectoryIsAnErrorNotACrash) {
    auto saved = save_new_file("/nonexistent/dir", "a.pdf", "data");
    EXPECT_TRUE(saved.path.empty());
    EXPECT_FALSE(saved.error.empty());
}

}  // namespace
