// An expected failure: v3's concurrency check, run against v2, must fail. If it passed,
// either v2 serves two clients at once (it must not) or the check proves nothing. The
// failure message it got is printed, so you can read what it caught.
#include <gtest/gtest.h>

#include <iostream>

#include "concurrency.hpp"
#include "harness.hpp"

namespace course::test {
namespace {

TEST(ExpectedFailure, V2UnderTheConcurrencyTestFails) {
    testing::AssertionResult result = serves_clients_concurrently(stage("v2"));
    EXPECT_FALSE(result) << "v2 serves one client at a time, yet the concurrency check passed";
    std::cout << "As expected, the concurrency check failed against v2:\n"
              << result.message() << "\n";
}

}  // namespace
}  // namespace course::test
