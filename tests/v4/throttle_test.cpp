// The log's two guards against a peer that repeats itself (v4's logger.hpp, carried to v5
// and v6): LogThrottle (one entry a second, with a count) and ErrorBudget (64 refusals a
// second). Unit tests: the clock is passed in, so no test waits for a second to pass.
#include <gtest/gtest.h>

#include "logger.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(LogThrottle, OneEntryASecondAndACountOfThoseLeftOut) {
    LogThrottle throttle;
    auto t = Clock::now();
    EXPECT_TRUE(throttle.allow(t));  // the first is always written
    EXPECT_EQ(throttle.take_skipped(), 0u);
    for (int i = 0; i < 1000; ++i)
        EXPECT_FALSE(throttle.allow(t + 999ms));
    EXPECT_TRUE(throttle.allow(t + 1s));
    EXPECT_EQ(throttle.take_skipped(), 1000u);
    EXPECT_EQ(throttle.take_skipped(), 0u) << "taking the count starts it anew";
    EXPECT_FALSE(throttle.allow(t + 1500ms));  // a second after the last one written
    EXPECT_TRUE(throttle.allow(t + 2s));
}

TEST(ErrorBudget, SixtyFourInASecondAreFineTheSixtyFifthIsNot) {
    ErrorBudget budget;
    auto t = Clock::now();
    for (int i = 0; i < 64; ++i)
        EXPECT_TRUE(budget.spend(t + std::chrono::milliseconds(i))) << i;
    EXPECT_FALSE(budget.spend(t + 500ms));
}

TEST(ErrorBudget, TheCountStartsAnewEachSecond) {
    ErrorBudget budget;
    auto t = Clock::now();
    for (int second = 0; second < 10; ++second) {
        for (int i = 0; i < 64; ++i)
            EXPECT_TRUE(budget.spend(t + std::chrono::seconds(second))) << second << " " << i;
    }
}

}  // namespace
