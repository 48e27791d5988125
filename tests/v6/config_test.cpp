// Unit tests of config.toml parsing (v6-upload/config.hpp): defaults, every key, and
// every error naming the file and the line.
#include "config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness.hpp"

namespace course::test {
namespace {

Config parse_ok(std::string_view text) {
    auto result = parse_config(text, "test.toml");
    EXPECT_TRUE(result.config.has_value()) << result.error;
    return result.config.value_or(Config{});
}

std::string parse_error(std::string_view text) {
    auto result = parse_config(text, "test.toml");
    EXPECT_FALSE(result.config.has_value()) << "accepted: " << text;
    return result.error;
}

TEST(Config, AnEmptyFileGivesTheDefaults) {
    auto config = parse_ok("");
    EXPECT_EQ(config.bind_ip_port.to_string(), "127.0.0.1:7070");
    EXPECT_EQ(config.data_dir, "./uploads");
    EXPECT_EQ(config.log_level, "info");
    EXPECT_EQ(config.protocol, "http");
    EXPECT_EQ(config.server_fqdn, "");
    EXPECT_EQ(config.url, "images");
    ASSERT_TRUE(config.http_bind.has_value());
    EXPECT_EQ(config.http_bind->to_string(), "127.0.0.1:7071");
    EXPECT_EQ(config.max_upload_bytes, 32u * 1024 * 1024);
    EXPECT_EQ(config.read_timeout, std::chrono::seconds(30));
}

TEST(Config, EveryKey) {
    auto config = parse_ok(R"(
bind_ip_port = "0.0.0.0:9000"
data_dir = "/srv/png"
log_level = "debug"
protocol = "https"
server_fqdn = "img.example.org"
url = "/pics/"
http_bind = "[::1]:8081"
max_upload_bytes = 1000
read_timeout_secs = 7
)");
    EXPECT_EQ(config.bind_ip_port.to_string(), "0.0.0.0:9000");
    EXPECT_EQ(config.data_dir, "/srv/png");
    EXPECT_EQ(config.log_level, "debug");
    EXPECT_EQ(config.protocol, "https");
    EXPECT_EQ(config.server_fqdn, "img.example.org");
    EXPECT_EQ(config.url, "pics");
    ASSERT_TRUE(config.http_bind.has_value());
    EXPECT_EQ(config.http_bind->to_string(), "[::1]:8081");
    EXPECT_EQ(config.max_upload_bytes, 1000u);
    EXPECT_EQ(config.read_timeout, std::chrono::seconds(7));
}

TEST(Config, AnEmptyHttpBindTurnsHttpOff) {
    EXPECT_FALSE(parse_ok("http_bind = \"\"").http_bind.has_value());
}

TEST(Config, UrlSlashesAreNormalised) {
    for (auto url : {"/img/", "img", "/img", "img/", "//img//"}) {
        EXPECT_EQ(parse_ok("url = \"" + std::string(url) + "\"").url, "img") << url;
    }
    EXPECT_EQ(parse_ok("url = \"/\"").url, "");
    EXPECT_EQ(parse_ok("url = \"/a/b/\"").url, "a/b");
}

TEST(Config, AWrongTypeNamesFileAndLine) {
    auto error = parse_error("protocol = \"http\"\n\nmax_upload_bytes = \"big\"\n");
    EXPECT_TRUE(error.starts_with("test.toml:3:")) << error;
    EXPECT_NE(error.find("max_upload_bytes"), std::string::npos) << error;
    EXPECT_TRUE(parse_error("\nurl = 5").starts_with("test.toml:2:"));
    EXPECT_TRUE(parse_error("\n\n\nserver_fqdn = true").starts_with("test.toml:4:"));
    EXPECT_TRUE(parse_error("data_dir = [\"a\"]").starts_with("test.toml:1:"));
    EXPECT_TRUE(parse_error("read_timeout_secs = 1.5").starts_with("test.toml:1:"));
    EXPECT_TRUE(parse_error("bind_ip_port = 7070").starts_with("test.toml:1:"));
}

TEST(Config, AMalformedFileNamesFileAndLine) {
    auto error = parse_error("protocol = \"http\"\nurl = \n");
    EXPECT_TRUE(error.starts_with("test.toml:2:")) << error;
    EXPECT_TRUE(parse_error("a = \"unterminated\n").starts_with("test.toml:1:"));
    EXPECT_TRUE(parse_error("protocol = \"a\"\nprotocol = \"b\"\n").starts_with("test.toml:2:"));
}

TEST(Config, SizesAndTimeoutsMustBePositiveIntegers) {
    for (auto bad : {"0", "-1", "-100", "1.0", "\"10\"", "true"}) {
        for (auto key : {"max_upload_bytes", "read_timeout_secs"}) {
            auto error = parse_error(std::string(key) + " = " + bad);
            EXPECT_NE(error.find(key), std::string::npos) << error;
            EXPECT_TRUE(error.starts_with("test.toml:1:")) << error;
        }
    }
}

TEST(Config, BadAddressesAndLevelsAreErrors) {
    EXPECT_TRUE(parse_error("bind_ip_port = \"nowhere\"").starts_with("test.toml:1:"));
    EXPECT_TRUE(parse_error("http_bind = \"1.2.3.4\"").starts_with("test.toml:1:"));
    EXPECT_TRUE(parse_error("log_level = \"loud\"").starts_with("test.toml:1:"));
    EXPECT_TRUE(parse_error("data_dir = \"\"").starts_with("test.toml:1:"));
}

TEST(Config, AnUnknownKeyIsAWarningNamingIt) {
    auto result = parse_config("protocol = \"http\"\nport = 80\n", "test.toml");
    ASSERT_TRUE(result.config.has_value()) << result.error;
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_NE(result.warnings[0].find("port"), std::string::npos) << result.warnings[0];
    EXPECT_TRUE(result.warnings[0].starts_with("test.toml:2:")) << result.warnings[0];
}

TEST(Config, NoFileAndNotGivenIsTheDefaultsWithAWarning) {
    auto result = load_config("/nonexistent/config.toml", false);
    ASSERT_TRUE(result.config.has_value());
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_NE(result.warnings[0].find("default"), std::string::npos);
}

TEST(Config, AGivenFileThatIsMissingIsAnErrorNamingIt) {
    auto result = load_config("/nonexistent/mine.toml", true);
    EXPECT_FALSE(result.config.has_value());
    EXPECT_NE(result.error.find("/nonexistent/mine.toml"), std::string::npos) << result.error;
}

TEST(Config, TheShippedExampleParsesToTheDefaults) {
    auto result = load_config(source_dir() + "/v6-upload/config.toml", true);
    ASSERT_TRUE(result.config.has_value()) << result.error;
    EXPECT_TRUE(result.warnings.empty());
    auto config = *result.config;
    auto defaults = Config{};
    EXPECT_EQ(config.bind_ip_port.to_string(), defaults.bind_ip_port.to_string());
    EXPECT_EQ(config.data_dir, defaults.data_dir);
    EXPECT_EQ(config.url, defaults.url);
    EXPECT_EQ(config.max_upload_bytes, defaults.max_upload_bytes);
    EXPECT_EQ(config.read_timeout, defaults.read_timeout);
    EXPECT_EQ(config.http_bind->to_string(), defaults.http_bind->to_string());
}

TEST(Config, AUrlIsUnreservedCharactersAndSlashes) {
    EXPECT_EQ(parse_ok("url = \"/a-b/c.d_e~f/G9/\"\n").url, "a-b/c.d_e~f/G9");
    for (std::string url : {"a b", "a?b", "a#b", "a%20b", "a\\\\b", "caf\u00e9", "a/../b", "./a"}) {
        auto error = parse_error("\nurl = \"" + url + "\"\n");
        EXPECT_NE(error.find("test.toml:2"), std::string::npos) << url << ": " << error;
        EXPECT_NE(error.find("url"), std::string::npos) << url << ": " << error;
    }
}

TEST(Config, ProtocolIsHttpOrHttps) {
    EXPECT_EQ(parse_ok("protocol = \"https\"\n").protocol, "https");
    for (std::string protocol : {"", "ftp", "HTTP", "http://"}) {
        auto error = parse_error("protocol = \"" + protocol + "\"\n");
        EXPECT_NE(error.find("test.toml:1"), std::string::npos) << protocol << ": " << error;
    }
}

TEST(Config, AWildcardHttpBindNeedsAServerFqdn) {
    for (std::string bind : {"0.0.0.0:8080", "[::]:8080"}) {
        auto error = parse_error("\nhttp_bind = \"" + bind + "\"\n");
        EXPECT_NE(error.find("test.toml:2"), std::string::npos) << bind << ": " << error;
        EXPECT_NE(error.find("server_fqdn"), std::string::npos) << bind << ": " << error;
        // In any order of the keys.
        parse_ok("http_bind = \"" + bind + "\"\nserver_fqdn = \"img.example.org\"\n");
        parse_ok("server_fqdn = \"img.example.org\"\nhttp_bind = \"" + bind + "\"\n");
    }
}

TEST(Config, MaxConnectionsIsAPositiveIntegerInItsRange) {
    EXPECT_EQ(parse_ok("").max_connections, 10'000u);
    EXPECT_EQ(parse_ok("max_connections = 5\n").max_connections, 5u);
    EXPECT_EQ(parse_ok("max_connections = 1000000\n").max_connections, 1'000'000u);
    for (std::string value : {"0", "-1", "1000001", "2.5", "\"10\""}) {
        auto error = parse_error("max_connections = " + value + "\n");
        EXPECT_NE(error.find("from 1 to 1000000"), std::string::npos) << value << ": " << error;
    }
}

}  // namespace
}  // namespace course::test
