// An expected failure, a test of the test: v4's 2000-connection check, run against
// v3, must fail. v3 serves as many clients at once as it has threads (4); the others wait
// their turn, so most of 2000 clients get no answer in time. If the check passed here, it
// would prove nothing about v4. The failure message it got is printed.
#include <gtest/gtest.h>

#include "concurrency.hpp"
#include "harness.hpp"

namespace course::test {
namespace {

TEST(ExpectedFailure, V3UnderTheTwoThousandClientTestFails) {
    // It checks the course's check, not a learner's server: with another v3 it says nothing.
    if (stage("v3").server_is_brought()) {
        GTEST_SKIP() << "checks the 2000-client test against the course's own v3 only "
                        "(COURSE_V3_SERVER is set)";
    }
    expect_the_check_to_fail(serve_concurrently(stage("v3"), 2000, {}, 3s),
                             "As expected, v3 fails the 2000-client check",
                             "v3 has a pool of 4 threads, yet 2000 clients were served at once: "
                             "the check cannot tell a pool from thousands at once");
}

}  // namespace
}  // namespace course::test
