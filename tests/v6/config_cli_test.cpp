// v6-upload's settings as a black box: config.toml and the command line, exit codes,
// messages naming file and line, the link's shape.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "png_maker.hpp"
#include "v6_helpers.hpp"

namespace course::test {
namespace {

class V6Config : public testing::Test {
protected:
    std::string write_config(const std::string& text) {
        std::string path = dir_.path() + "/my-config.toml";
        std::ofstream(path) << text;
        return path;
    }
    // Where HTTP listens when a test's config is (wrongly) accepted.
    enum class Http { OnAFreePort, AsTheConfigSays };
    // Runs the server with these arguments, for a test that expects it to refuse. Addresses
    // the arguments do not give are added with port 0: a program that accepts the config
    // after all then listens on free ports (and is stopped by the deadline), never on the
    // default ones, where it could meet another test or a server of yours.
    ClientRun run_server(std::vector<std::string> args, Http http = Http::OnAFreePort) {
        auto given = [&](const std::string& option) {
            return std::find(args.begin(), args.end(), option) != args.end();
        };
        if (!given("--address")) {
            args.insert(args.end(), {"--address", "127.0.0.1:0"});
        }
        if (http == Http::OnAFreePort && !given("--http-address")) {
            args.insert(args.end(), {"--http-address", "127.0.0.1:0"});
        }
        ProcessOptions options;
        options.working_directory = dir_.path();
        return run_client(stage("v6").server_path(), args, "", 10s, options);
    }
    TempDir dir_;
};

TEST_F(V6Config, WithoutAConfigFileTheDefaultsAreUsedAndSaidOnStderr) {
    auto server = Server::start(stage("v6"));  // its own empty directory: no config.toml
    auto http = server->process().read_stdout_line(deadline_in(5s));
    ASSERT_TRUE(http && http->starts_with("http on 127.0.0.1:")) << server->describe();
    EXPECT_TRUE(eventually([&] {
        return server->process().stderr_text().find("default") != std::string::npos;
    })) << server->describe();
    auto link = upload(*server, make_png());
    EXPECT_TRUE(link.starts_with("http://" + http->substr(8) + "/images/")) << escape(link);
    EXPECT_TRUE(std::filesystem::exists(server->directory() + "/uploads/" + name_of(link)))
        << "data_dir defaults to ./uploads, relative to the working directory";
}

TEST_F(V6Config, AMissingConfigFileIsExitTwoNamingIt) {
    auto run = run_server({"--config", dir_.path() + "/nonexistent.toml"});
    ASSERT_EQ(run.exit_status, 2) << run.err;
    EXPECT_NE(run.err.find("nonexistent.toml"), std::string::npos) << escape(run.err);
}

TEST_F(V6Config, AMalformedFileIsExitTwoNamingFileAndLine) {
    auto path = write_config("protocol = \"http\"\nurl = \n");
    auto run = run_server({"--config", path});
    ASSERT_EQ(run.exit_status, 2) << run.err;
    EXPECT_NE(run.err.find(path + ":2"), std::string::npos) << escape(run.err);
}

TEST_F(V6Config, AValueOfTheWrongTypeIsExitTwoNamingFileAndLine) {
    for (std::string line : {"max_upload_bytes = \"big\"", "url = 5", "server_fqdn = true",
                             "read_timeout_secs = 2.5", "bind_ip_port = 7070"}) {
        auto path = write_config("protocol = \"http\"\n\n" + line + "\n");
        auto run = run_server({"--config", path});
        ASSERT_EQ(run.exit_status, 2) << line << ": " << run.err;
        EXPECT_NE(run.err.find(path + ":3"), std::string::npos) << line << ": " << escape(run.err);
    }
}

TEST_F(V6Config, ASizeOrTimeoutThatIsNotPositiveIsExitTwo) {
    for (std::string line : {"max_upload_bytes = 0", "max_upload_bytes = -1",
                             "read_timeout_secs = 0", "read_timeout_secs = -30"}) {
        auto run = run_server({"--config", write_config(line + "\n")});
        ASSERT_EQ(run.exit_status, 2) << line << ": " << run.err;
    }
}

TEST_F(V6Config, ATimeoutThatIsNanOrHugeIsExitTwo) {
    // now + 1e10 s overflows a clock in nanoseconds: the deadline would lie in the past and
    // every upload would time out at once. The contract (docs/contract.md): positive, finite, at
    // most a year.
    for (std::string line : {"read_timeout_secs = 10000000000", "read_timeout_secs = 31536001",
                             "read_timeout_secs = nan", "read_timeout_secs = inf",
                             "read_timeout_secs = 9223372036854775807"}) {
        auto run = run_server({"--config", write_config(line + "\n")});
        ASSERT_EQ(run.exit_status, 2) << line << ": " << run.err;
        EXPECT_NE(run.err.find("read_timeout_secs"), std::string::npos) << line << ": " << run.err;
    }
}

TEST_F(V6Config, AConfigThatIsADirectoryIsExitTwoNamingIt) {
    std::filesystem::create_directory(dir_.path() + "/conf.d");
    auto run = run_server({"--config", dir_.path() + "/conf.d"});
    ASSERT_EQ(run.exit_status, 2) << run.err;
    EXPECT_NE(run.err.find("conf.d"), std::string::npos) << escape(run.err);
    // The default ./config.toml too: a directory there is a mistake, not "no config".
    std::filesystem::create_directory(dir_.path() + "/config.toml");
    run = run_server({});
    ASSERT_EQ(run.exit_status, 2) << run.err;
    EXPECT_NE(run.err.find("config.toml"), std::string::npos) << escape(run.err);
}

TEST_F(V6Config, AnUnreadableConfigIsExitTwo) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root reads any file: an unreadable config cannot be made here";
    }
    for (std::string path : {write_config("protocol = \"http\"\n"), dir_.path() + "/config.toml"}) {
        std::ofstream(path) << "protocol = \"http\"\n";
        std::filesystem::permissions(path, std::filesystem::perms::none);
        std::vector<std::string> args;  // the default ./config.toml, or --config
        if (!path.ends_with("/config.toml")) {
            args = {"--config", path};
        }
        auto run = run_server(args);
        ASSERT_EQ(run.exit_status, 2) << path << ": " << run.err;
    }
}

TEST_F(V6Config, AnEmptyServerFqdnWithHttpOffIsExitTwo) {
    auto run = run_server({"--config", write_config("http_bind = \"\"\n")}, Http::AsTheConfigSays);
    ASSERT_EQ(run.exit_status, 2) << run.err;
    EXPECT_NE(run.err.find("server_fqdn"), std::string::npos) << escape(run.err);
}

TEST_F(V6Config, WithAServerFqdnHttpCanBeOff) {
    ServerOptions options;
    options.pass_test_args = false;  // no --http-address: HTTP stays off
    options.args = {"--config", write_config("http_bind = \"\"\nserver_fqdn = \"img.example.org\"\n"
                                             "data_dir = \"uploads\"\n")};
    auto server = Server::start(stage("v6"), options);
    auto link = upload(*server, make_png());
    EXPECT_TRUE(link.starts_with("http://img.example.org/images/")) << escape(link) << "\n"
                                                                    << server->describe();
    EXPECT_FALSE(server->process().read_stdout_line(deadline_in(300ms)).has_value())
        << "no `http on` line when HTTP is off";
}

TEST_F(V6Config, ProtocolFqdnAndUrlMakeTheLinkWithSlashesNormalised) {
    for (std::string url : {"/img/", "img", "/img", "img/"}) {
        auto s = start_upload_server(
            "protocol = \"https\"\nserver_fqdn = \"img.example.org\"\n"
            "url = \"" +
            url + "\"\n");
        auto link = upload(*s.server, make_png());
        EXPECT_TRUE(link.starts_with("https://img.example.org/img/"))
            << "url " << url << ": " << escape(link);
        EXPECT_EQ(link.find("//", 8), std::string::npos) << escape(link);
        // And the HTTP side serves it under the same path.
        auto reply = http_get(s.http_host, s.http_port, "/img/" + name_of(link));
        EXPECT_EQ(reply.status, 200) << "url " << url << ": " << reply.raw_head;
    }
}

TEST_F(V6Config, TheCommandLineOverridesBothAddresses) {
    // Addresses nobody can bind here (TEST-NET-1): only the overrides make it start.
    auto s = start_upload_server("bind_ip_port = \"192.0.2.1:7\"\nhttp_bind = \"192.0.2.1:8\"\n");
    EXPECT_EQ(s.server->host(), "127.0.0.1");
    EXPECT_EQ(s.http_host, "127.0.0.1");
}

TEST_F(V6Config, DataDirIsCreatedRelativeToTheWorkingDirectory) {
    auto s = start_upload_server("data_dir = \"a/b/c\"\n");
    auto link = upload(*s.server, make_png());
    EXPECT_TRUE(std::filesystem::exists(s.server->directory() + "/a/b/c/" + name_of(link)))
        << escape(link) << "\n"
        << s.server->describe();
}

TEST_F(V6Config, AnUnknownKeyIsAWarningAndTheServerRuns) {
    auto s = start_upload_server("colour = \"blue\"\n");
    EXPECT_TRUE(eventually([&] {
        return s.server->process().stderr_text().find("colour") != std::string::npos;
    })) << s.server->describe();
    EXPECT_TRUE(upload(*s.server, make_png()).starts_with("http://"));
}

TEST_F(V6Config, LogLevelIsHonoured) {
    auto s = start_upload_server("log_level = \"warn\"\n");
    ASSERT_TRUE(upload(*s.server, make_png(), "good").starts_with("http://"));
    ASSERT_TRUE(upload(*s.server, "not a png", "bad").starts_with("error: "));
    // The refusal is logged (a warning) after the stored upload would have been (info).
    ASSERT_TRUE(eventually([&] {
        return s.server->process().stderr_text().find("not a PNG") != std::string::npos;
    })) << s.server->describe();
    EXPECT_EQ(s.server->process().stderr_text().find(" info "), std::string::npos)
        << s.server->describe();
}

// A link the server answers must work: a url a browser would cut or rewrite, a scheme
// browsers do not speak, a host that names every address: each is refused at start.
TEST_F(V6Config, ALinkThatCouldNotWorkIsExitTwoNamingFileLineAndReason) {
    struct Case {
        std::string line, reason;
    };
    for (const auto& [line, reason] :
         std::vector<Case>{{"url = \"my images\"", "url"},
                           {"url = \"img?x=1\"", "url"},
                           {"url = \"img#top\"", "url"},
                           {"protocol = \"\"", "protocol"},
                           {"protocol = \"ftp\"", "protocol"},
                           {"http_bind = \"0.0.0.0:0\"", "server_fqdn"},
                           {"http_bind = \"[::]:0\"", "server_fqdn"}}) {
        auto path = write_config("data_dir = \"uploads\"\n\n" + line + "\n");
        auto run =
            run_server({"--config", path},
                       line.starts_with("http_bind") ? Http::AsTheConfigSays : Http::OnAFreePort);
        ASSERT_EQ(run.exit_status, 2) << line << ": " << run.err;
        EXPECT_NE(run.err.find(path + ":3"), std::string::npos) << line << ": " << escape(run.err);
        EXPECT_NE(run.err.find(reason), std::string::npos) << line << ": " << escape(run.err);
    }
}

TEST_F(V6Config, AWildcardHttpAddressWithoutServerFqdnIsExitTwo) {
    auto run = run_server(
        {"--config", write_config("data_dir = \"uploads\"\n"), "--http-address", "0.0.0.0:0"});
    ASSERT_EQ(run.exit_status, 2) << run.err;
    EXPECT_NE(run.err.find("server_fqdn"), std::string::npos) << escape(run.err);
}

TEST_F(V6Config, MaxConnectionsOutOfRangeIsExitTwoNamingItsRange) {
    for (std::string line : {"max_connections = 0", "max_connections = -5",
                             "max_connections = 99999999999", "max_connections = \"many\""}) {
        auto path = write_config("data_dir = \"uploads\"\n" + line + "\n");
        auto run = run_server({"--config", path});
        ASSERT_EQ(run.exit_status, 2) << line << ": " << run.err;
        EXPECT_NE(run.err.find(path + ":2"), std::string::npos) << line << ": " << escape(run.err);
        EXPECT_NE(run.err.find("max_connections"), std::string::npos) << escape(run.err);
        EXPECT_NE(run.err.find("1 to "), std::string::npos)
            << "names its range: " << escape(run.err);
    }
}

}  // namespace
}  // namespace course::test
