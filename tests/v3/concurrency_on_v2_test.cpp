// An expected failure, a test of the test: v3's concurrency check, run against the
// course's own v2, must fail. If it passed, either v2 serves two clients at once (it must
// not) or the check proves nothing. What the check caught is printed, in one line.
#include <gtest/gtest.h>

#include "concurrency.hpp"
#include "harness.hpp"

namespace course::test {
namespace {

TEST(ExpectedFailure, V2UnderTheConcurrencyTestFails) {
    // It checks the course's check, not a learner's server: with another v2 it says nothing.
    if (stage("v2").server_is_brought()) {
        GTEST_SKIP() << "checks the concurrency test against the course's own v2 only "
                        "(COURSE_V2_SERVER is set)";
    }
    expect_the_check_to_fail(serves_clients_concurrently(stage("v2")),
                             "As expected, v2 fails the concurrency check",
                             "the concurrency check passed against v2, which serves one client "
                             "at a time: the check cannot tell one-at-a-time from concurrent");
}

}  // namespace
}  // namespace course::test
