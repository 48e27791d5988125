// Unit tests of the chat codec (v5-chat/protocol.hpp): the descriptor's bytes, round trips,
// every split point, every limit, the headers, the username rules, the timestamps.
#include <gtest/gtest.h>

#include "protocol.hpp"
#include "utf8.hpp"

namespace {

using namespace chat;

// Message types as they come off the wire.
constexpr std::uint16_t Image = 6, Utf8 = 7, File = 8, Voice = 9;

TEST(ChatCodec, DescriptorIsLittleEndianWithReservedZero) {
    char bytes[descriptor_size];
    encode_descriptor({0x0107, 0x0203, 0xdeadbeef, 0x0102030405060708ull}, bytes);
    const unsigned char expected[] = {0x07, 0x01, 0x03, 0x02, 0,    0,    0,    0,
                                      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
    EXPECT_EQ(std::string(bytes, 16), std::string(reinterpret_cast<const char*>(expected), 16));
    Descriptor back = decode_descriptor(bytes);
    EXPECT_EQ(back.type, 0x0107);
    EXPECT_EQ(back.header_size, 0x0203);
    EXPECT_EQ(back.reserved, 0u);
    EXPECT_EQ(back.content_size, 0x0102030405060708ull);
}

TEST(ChatCodec, ReservedIsIgnoredOnReceipt) {
    std::string bytes = encode(MessageType::Utf8, "", "hi");
    bytes[4] = '\x7f';
    bytes[7] = '\x01';
    Decoded d = decode(bytes);
    ASSERT_EQ(d.status, Status::complete);
    EXPECT_EQ(d.content, "hi");
}

TEST(ChatCodec, RoundTripOfEveryType) {
    for (std::uint16_t type = 0; type <= 11; ++type) {
        std::string header = R"({"to":"bob"})";
        std::string content(300, static_cast<char>('a' + type));
        std::string bytes = encode(type, header, content);
        ASSERT_EQ(bytes.size(), descriptor_size + header.size() + content.size());
        Decoded d = decode(bytes);
        ASSERT_EQ(d.status, Status::complete);
        EXPECT_EQ(d.descriptor.type, type);
        EXPECT_EQ(d.header, header);
        EXPECT_EQ(d.content, content);
        EXPECT_EQ(d.size, bytes.size());
    }
}

TEST(ChatCodec, EverySplitPointIsIncompleteUntilTheLastByte) {
    std::string bytes = encode(MessageType::File, R"({"filename":"a.pdf"})", "0123456789");
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        Decoded d = decode(std::string_view(bytes).substr(0, cut));
        EXPECT_EQ(d.status, Status::incomplete) << "cut at " << cut;
        EXPECT_EQ(d.has_descriptor, cut >= descriptor_size) << "cut at " << cut;
        if (cut >= descriptor_size + 20) {
            EXPECT_EQ(d.header, R"({"filename":"a.pdf"})") << "cut at " << cut;
        }
    }
    // Two messages back to back: the first decodes with its exact size, the rest remains.
    std::string two = bytes + encode(MessageType::Logout);
    Decoded first = decode(two);
    ASSERT_EQ(first.status, Status::complete);
    Decoded second = decode(std::string_view(two).substr(first.size));
    ASSERT_EQ(second.status, Status::complete);
    EXPECT_EQ(second.descriptor.type, 2);
    EXPECT_EQ(second.size, descriptor_size);
}

TEST(ChatCodec, LimitsAreRefusedOnTheDescriptorAlone) {
    Limits limits{max_header_size, 1000};
    auto head = [](std::uint16_t header_size, std::uint64_t content_size) {
        char bytes[descriptor_size];
        encode_descriptor({7, header_size, 0, content_size}, bytes);
        return std::string(bytes, descriptor_size);
    };
    EXPECT_EQ(decode(head(4096, 1000), limits).status, Status::incomplete);
    EXPECT_EQ(decode(head(4097, 0), limits).status, Status::header_too_large);
    EXPECT_EQ(decode(head(65535, 0), limits).status, Status::header_too_large);
    EXPECT_EQ(decode(head(0, 1001), limits).status, Status::content_too_large);
    EXPECT_EQ(decode(head(0, ~std::uint64_t{0}), limits).status, Status::content_too_large);
    EXPECT_EQ(decode(head(0, ~std::uint64_t{0})).status, Status::content_too_large);
    // Exactly at the limits is fine.
    std::string at_limit =
        encode(MessageType::File, std::string(4096, ' '), std::string(1000, 'x'));
    EXPECT_EQ(decode(at_limit, limits).status, Status::complete);
    EXPECT_EQ(default_max_content, 16u * 1024 * 1024);
    EXPECT_EQ(max_header_size, 4096u);
    EXPECT_EQ(max_username_bytes, 32u);
}

TEST(ChatHeaders, ClientHeader) {
    auto empty = parse_client_header(Utf8, "");
    EXPECT_TRUE(empty.error.empty());
    EXPECT_FALSE(empty.header.to || empty.header.filename);
    auto both = parse_client_header(File, R"({"to":"bob","filename":"a.pdf","other":[1]})");
    EXPECT_TRUE(both.error.empty());
    EXPECT_EQ(both.header.to, "bob");
    EXPECT_EQ(both.header.filename, "a.pdf");
    // On Utf8 a header that is not a JSON object can name nothing.
    for (std::string bad : {"x", "[]", "\"bob\"", "42", "{", R"({"to": 1})", R"({"filename": {}})",
                            "{\"to\": \"\xff\"}"}) {
        EXPECT_FALSE(parse_client_header(Utf8, bad).error.empty()) << bad;
    }
    // A JSON object with a key of the wrong type is an error whatever the type.
    EXPECT_FALSE(parse_client_header(File, R"({"to": 1})").error.empty());
    EXPECT_EQ(to_json(ClientHeader{}), "");
    EXPECT_EQ(parse_client_header(File, to_json(ClientHeader{"bob", "a b.pdf"})).header.filename,
              "a b.pdf");
}

TEST(ChatHeaders, BareTextIsTheFileNameOfFileImageAndVoice) {
    for (std::uint16_t type : {File, Image, Voice}) {
        auto parsed = parse_client_header(type, "note.txt");  // the seed's client
        EXPECT_TRUE(parsed.error.empty()) << parsed.error;
        EXPECT_EQ(parsed.header.filename, "note.txt");
        EXPECT_FALSE(parsed.header.to);
        EXPECT_EQ(parse_client_header(type, "Фото 1.png").header.filename, "Фото 1.png");
        EXPECT_EQ(parse_client_header(type, "[1, 2]").header.filename, "[1, 2]");
        EXPECT_FALSE(parse_client_header(type, "a\xff.txt").error.empty()) << "not UTF-8";
    }
}

TEST(ChatHeaders, ARelayedFileNameIsABaseName) {
    EXPECT_EQ(base_name("a.pdf"), "a.pdf");
    EXPECT_EQ(base_name("../../etc/passwd"), "passwd");
    EXPECT_EQ(base_name("C:\\Users\\x\\a.pdf"), "a.pdf");
    EXPECT_EQ(base_name("dir/sub\\a b.pdf"), "a b.pdf");
    EXPECT_EQ(base_name("..."), "...");
    for (std::string none : {"", ".", "..", "x/", "x/..", "a\\.", "/"}) {
        EXPECT_FALSE(base_name(none)) << none;
    }
    EXPECT_EQ(parse_client_header(File, "../x/a.txt").header.filename, "a.txt");
    EXPECT_EQ(parse_client_header(Image, R"({"filename": "/tmp/.."})").header.filename,
              std::nullopt);
}

TEST(ChatHeaders, ARelayedFileNameNeedsNoEscapeAndAFileAlwaysHasOne) {
    auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796546188));
    std::optional<std::string> none;
    EXPECT_EQ(relayed_filename(File, "dir/a\"b.pdf", now), "a_b.pdf");
    EXPECT_EQ(relayed_filename(File, "x" + utf8(0x202e) + "y" + utf8(0xad), now), "x_y_");
    EXPECT_EQ(relayed_filename(File,
                               "a\x01"
                               "b\x7f" +
                                   utf8(0x9f),
                               now),
              "a_b__");
    EXPECT_EQ(relayed_filename(File, "Zo\u00eb.txt", now), "Zo\u00eb.txt");  // letters stay
    EXPECT_EQ(relayed_filename(File, none, now), "file-20261206T083628Z");
    EXPECT_EQ(relayed_filename(Image, "..", now), "image-20261206T083628Z");
    EXPECT_EQ(relayed_filename(Voice, "x/", now), "voice-20261206T083628Z");
    EXPECT_EQ(relayed_filename(Utf8, none, now), std::nullopt);  // a text names no file
    EXPECT_EQ(without_escapes("\"\\\n" + utf8(0x2066)), "____");
    for (char32_t cp : {0xad,    0x600,   0x605,   0x61c,   0x6dd,   0x70f,   0x890,   0x891,
                        0x8e2,   0x180e,  0x200b,  0x200f,  0x202a,  0x202e,  0x2060,  0x2064,
                        0x2066,  0x206f,  0xfeff,  0xfff9,  0xfffb,  0x110bd, 0x110cd, 0x13430,
                        0x1343f, 0x1bca0, 0x1bca3, 0x1d173, 0x1d17a, 0xe0001, 0xe0020, 0xe007f}) {
        EXPECT_TRUE(is_format_character(cp)) << std::hex << static_cast<unsigned>(cp);
    }
    for (char32_t cp :
         {0x41, 0xac, 0xae, 0x5ff, 0x606, 0x200a, 0x2010, 0x2065, 0xfffc, 0xe0002, 0xe0080}) {
        EXPECT_FALSE(is_format_character(cp)) << std::hex << static_cast<unsigned>(cp);
    }
}

TEST(ChatHeaders, AFileHeaderIsBareWhereTheSeedWouldSendIt) {
    EXPECT_EQ(file_header(MessageType::File, std::nullopt, "note.txt"), "note.txt");
    EXPECT_EQ(file_header(MessageType::File, std::nullopt, "Фото.png"), "Фото.png");
    EXPECT_EQ(file_header(MessageType::File, "bob", "a"), R"({"filename":"a","to":"bob"})");
    EXPECT_EQ(file_header(MessageType::Image, std::nullopt, "a.png"), R"({"filename":"a.png"})");
    EXPECT_EQ(file_header(MessageType::Voice, std::nullopt, "a.ogg"), R"({"filename":"a.ogg"})");
    // A name that reads as a JSON object would be taken as one: it goes as JSON.
    EXPECT_EQ(file_header(MessageType::File, std::nullopt, "{}"), R"({"filename":"{}"})");
}

TEST(ChatHeaders, ServerHeaderKeysOnlyWhenTheyApply) {
    ServerHeader header{"alice", "2026-11-22T12:00:00.123Z", std::nullopt, std::nullopt,
                        std::nullopt};
    EXPECT_EQ(to_json(header), R"({"from":"alice","timestamp":"2026-11-22T12:00:00.123Z"})");
    header.filename = "a.pdf";
    header.to = "bob";
    auto back = parse_server_header(to_json(header));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->from, "alice");
    EXPECT_EQ(back->filename, "a.pdf");
    EXPECT_EQ(back->to, "bob");
    EXPECT_FALSE(back->error);
    EXPECT_FALSE(parse_server_header("nope"));
}

TEST(ChatHeaders, LoginUsernameFromJsonOrBare) {
    EXPECT_EQ(login_username(R"({"to":"alice"})"), "alice");
    EXPECT_EQ(login_username("alice"), "alice");
    EXPECT_EQ(login_username("Алиса"), "Алиса");
    EXPECT_EQ(login_username(""), "");
    EXPECT_EQ(login_username("42"), "42");  // JSON, but not an object: a bare name
    EXPECT_FALSE(login_username("{}"));
    EXPECT_FALSE(login_username(R"({"to": 5})"));
}

TEST(ChatRules, Utf8Validation) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("héllo Алиса 日本 " + utf8(0x1f600) + utf8(0x10ffff)));
    for (std::string bad : {"\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
                            "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80",
                            "\xf8\x88\x80\x80\x80", "\xff", "a\xe2\x82", "\xe2\x28\xa1"}) {
        EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(bad);
    }
}

TEST(ChatRules, Usernames) {
    EXPECT_EQ(check_username("alice"), UsernameProblem::none);
    EXPECT_EQ(check_username(std::string(32, 'a')), UsernameProblem::none);
    EXPECT_EQ(check_username("Алиса"), UsernameProblem::none);
    EXPECT_EQ(check_username("Алиса-Алиса-Алиса"), UsernameProblem::none);  // 32 bytes
    EXPECT_EQ(check_username("servers"), UsernameProblem::none);
    EXPECT_EQ(check_username("ſerver"), UsernameProblem::none);  // not ASCII: not the server
    EXPECT_EQ(check_username(""), UsernameProblem::empty);
    EXPECT_EQ(check_username(std::string(33, 'a')), UsernameProblem::too_long);
    EXPECT_EQ(check_username("Алиса-Алиса-Алиса!"), UsernameProblem::too_long);  // 33 bytes
    EXPECT_EQ(check_username("\xff"), UsernameProblem::not_utf8);
    EXPECT_EQ(check_username("a\xc0\xaf"), UsernameProblem::not_utf8);
    for (char32_t c : {0x00, 0x01, 0x1b, 0x1f, 0x7f, 0x80, 0x9f}) {
        EXPECT_EQ(check_username("a" + utf8(c)), UsernameProblem::control)
            << std::hex << static_cast<unsigned>(c);
    }
    for (char32_t c : {0x09, 0x0a, 0x0b, 0x0c, 0x0d}) {  // ASCII whitespace is C0 as well
        EXPECT_NE(check_username("a" + utf8(c)), UsernameProblem::none)
            << std::hex << static_cast<unsigned>(c);
    }
    for (char32_t c : {0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
                       0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000}) {
        EXPECT_EQ(check_username("a" + utf8(c) + "b"), UsernameProblem::whitespace)
            << std::hex << static_cast<unsigned>(c);
    }
    EXPECT_NE(check_username("a" + utf8(0x85)), UsernameProblem::none);  // NEL: C1 and White_Space
    EXPECT_EQ(check_username(utf8(0x200b)), UsernameProblem::invisible);
    EXPECT_EQ(check_username("a" + utf8(0xfeff)), UsernameProblem::invisible);
    for (char32_t c : {0xad, 0x200c, 0x200d, 0x202e, 0x2060, 0x2066, 0xe0041}) {  // category Cf
        EXPECT_EQ(check_username("a" + utf8(c) + "b"), UsernameProblem::invisible)
            << std::hex << static_cast<unsigned>(c);
    }
    EXPECT_EQ(check_username("a\"b"), UsernameProblem::escaped);
    EXPECT_EQ(check_username("a\\b"), UsernameProblem::escaped);
    EXPECT_EQ(check_username("\\"), UsernameProblem::escaped);
    for (std::string name : {"server", "SERVER", "Server", "sErVeR"}) {
        EXPECT_EQ(check_username(name), UsernameProblem::reserved) << name;
    }
}

TEST(ChatRules, TimestampsAreRfc3339UtcWithMilliseconds) {
    using namespace std::chrono;
    sys_days day = year{2026} / November / 22;
    auto when = system_clock::time_point(day) + 12h + 34min + 56s + 7ms;
    EXPECT_EQ(format_timestamp(when), "2026-11-22T12:34:56.007Z");
    EXPECT_EQ(parse_timestamp("2026-11-22T12:34:56.007Z"), when);
    EXPECT_FALSE(parse_timestamp("2026-11-22 12:34:56"));
    EXPECT_FALSE(parse_timestamp("2026-11-22T12:34:56.007+01:00"));
    EXPECT_EQ(format_timestamp(system_clock::now()).size(), 24u);
}

TEST(ChatRules, TimestampsWithZeroToNineFractionDigitsAreRead) {
    using namespace std::chrono;
    auto second =
        system_clock::time_point(sys_days(year{2026} / November / 22)) + 12h + 34min + 56s;
    EXPECT_EQ(parse_timestamp("2026-11-22T12:34:56Z"), second);
    EXPECT_EQ(parse_timestamp("2026-11-22T12:34:56.1Z"), second + 100ms);
    EXPECT_EQ(parse_timestamp("2026-11-22T12:34:56.123456Z"), second + 123456us);
    // The seed's chrono writes nanoseconds: 9 digits.
    EXPECT_EQ(parse_timestamp("2026-11-22T12:34:56.123456789Z"),
              second + duration_cast<system_clock::duration>(123456789ns));
    for (std::string bad :
         {"2026-11-22T12:34:56.Z", "2026-11-22T12:34:56.1234567890Z", "2026-11-22T12:34:56.12aZ",
          "2026-11-22T12:34:56", "2026-11-22T12:34:56ZZ"}) {
        EXPECT_FALSE(parse_timestamp(bad)) << bad;
    }
}

TEST(ChatRules, TypeNames) {
    EXPECT_EQ(type_name(7), "Utf8");
    EXPECT_EQ(type_name(10), "Error");
    EXPECT_EQ(type_name(42), "unknown (42)");
    EXPECT_TRUE(carries_content(6) && carries_content(7) && carries_content(8) &&
                carries_content(9));
    EXPECT_FALSE(carries_content(1) || carries_content(2) || carries_content(10) ||
                 carries_content(0));
}

}  // namespace
