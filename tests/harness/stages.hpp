// The stage x feature table: which stage has which feature. Features carry forward
// from stage to stage unless a stage's design drops them (v4 has no operator console).
//
// A test asks for the features it checks with REQUIRE_FEATURE; on a stage that lacks
// one it is a visible skip, never a silent omission. A few (stage, test) pairs instead
// run as expected failures (see expect_failure in harness.hpp) to prove a test can fail.
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace course::test {

enum class Feature {
    SingleShotEcho,      // v1: one read, one write, close
    LineProtocol,        // the echo line protocol of v2..v4
    ConcurrentClients,   // more than one client served at once
    ThousandsOfClients,  // 2000+ concurrent connections
    OperatorConsole,     // server stdin lines go to every client
    GracefulStop,        // SIGINT/SIGTERM: clean exit 0 within 2 s
    ShutdownBroadcast,   // every client hears "server shutting down"
    IdleTimeout,         // --idle-timeout
    ErrorLogFile,        // server.log / --log-file
    PositionalPort,      // `v4-server 7878`
    ChatProtocol,        // the binary chat protocol of v5
    PngUpload,           // the PNG upload server of v6
    ConnectionCap,       // --max-connections (v6: the max_connections key)
    NoNagle,             // TCP_NODELAY on every accepted connection
};

std::string_view feature_name(Feature feature);

struct Stage {
    std::string id;           // "v3"
    std::string directory;    // "v3-threaded"
    std::string server_name;  // "v3-server"
    std::string client_name;  // "v3-client"
    std::set<Feature> features;
    // Arguments every test adds when it starts this stage's server, so that no test
    // touches a fixed port (v6 serves HTTP on 127.0.0.1:7071 unless told otherwise).
    std::vector<std::string> test_args = {};

    bool has(Feature feature) const { return features.contains(feature); }
    // The binaries under test: $COURSE_V3_SERVER if set, else build/bin/v3-server.
    std::string server_path() const;
    std::string client_path() const;
    // Whether $COURSE_V3_SERVER names another program (a learner's own) to test instead.
    bool server_is_brought() const;
};

// GoogleTest prints a test's parameter in its name: "v3", not 200 bytes of hex.
inline void PrintTo(const Stage& stage, std::ostream* out) { *out << stage.id; }

const std::vector<Stage>& all_stages();
const Stage& stage(std::string_view id);
// For INSTANTIATE_TEST_SUITE_P: the stages with `feature`, or all of them.
std::vector<Stage> stages_with(Feature feature);
std::vector<std::string> stage_ids();

// Where the course's binaries and its source tree are (fixed at build time; the
// environment variables COURSE_BIN_DIR and COURSE_SOURCE_DIR override them).
std::string bin_dir();
std::string source_dir();

}  // namespace course::test

// Skips the current test, visibly, when the stage lacks the feature it checks.
#define REQUIRE_FEATURE(stage_, feature_)                                                  \
    do {                                                                                   \
        if (!(stage_).has(feature_)) {                                                     \
            GTEST_SKIP() << (stage_).id << " does not have "                               \
                         << ::course::test::feature_name(feature_)                         \
                         << " (the stage x feature table is in tests/harness/stages.cpp)"; \
        }                                                                                  \
    } while (false)
