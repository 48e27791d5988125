// An expected failure, a test of the test: v4's 2000-connection check, run against
// v3, must fail. v3 serves as many clients at once as it has threads (4); the others wait
// their turn, so most of 2000 clients get no answer in time. If the check passed here, it
// would prove nothing about v4. The failure message it got is printed.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "concurrency.hpp"
#include "harness.hpp"

namespace course::test {
namespace {

TEST(ExpectedFailure, V3UnderTheTwoThousandClientTestFails) {
    testing::AssertionResult result = serve_concurrently(stage("v3"), 2000, {}, 3s);
    EXPECT_FALSE(result) << "v3 has a pool of 4 threads, yet 2000 clients were served at once";
    std::cout << "As expected, the 2000-client check failed against v3:\n"
              << std::string(result.message()).substr(0, 600) << "\n";
}

}  // namespace
}  // namespace course::test
