// The shared rules of common/: what a timeout may be, how peer text is logged, and what a
// closed stdin becomes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <limits>

#include "course/cli.hpp"
#include "course/logging.hpp"
#include "course/stdio.hpp"
#include "course/timeout.hpp"

using namespace std::chrono_literals;

TEST(Timeout, PositiveFiniteSecondsUpToAYearAreAccepted) {
    EXPECT_EQ(course::timeout_from_seconds(300), 300'000ms);
    EXPECT_EQ(course::timeout_from_seconds(0.25), 250ms);
    EXPECT_EQ(course::timeout_from_seconds(0.0001), 1ms);  // a little, never "no wait"
    EXPECT_EQ(course::timeout_from_seconds(31'536'000), 31'536'000'000ms);
}

TEST(Timeout, ZeroNegativeNanInfAndHugeAreRefused) {
    for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity(), 1e10, 31'536'000.5,
                       9.2e18}) {
        EXPECT_FALSE(course::timeout_from_seconds(bad)) << bad;
    }
}

TEST(Timeout, TheOptionRefusesBadTextWithExitTwo) {
    for (const char* bad : {"0", "-5", "nan", "inf", "1e10", "9223372036854775807", "10s", ""}) {
        CLI::App app;
        auto timeout = std::chrono::milliseconds(10'000);
        course::add_timeout_option(app, "--idle-timeout", timeout, "help");
        const char* argv[] = {"server", "--idle-timeout", bad};
        testing::internal::CaptureStderr();
        auto exit = course::parse_command_line(app, 3, const_cast<char**>(argv));
        std::string said = testing::internal::GetCapturedStderr();
        EXPECT_EQ(exit, 2) << "'" << bad << "' was accepted";
        EXPECT_NE(said.find("timeout"), std::string::npos) << said;
        EXPECT_EQ(timeout, 10'000ms) << bad;
    }
    CLI::App app;
    auto timeout = std::chrono::milliseconds(10'000);
    course::add_timeout_option(app, "--idle-timeout", timeout, "help");
    const char* argv[] = {"server", "--idle-timeout", "1.5"};
    EXPECT_EQ(course::parse_command_line(app, 3, const_cast<char**>(argv)), std::nullopt);
    EXPECT_EQ(timeout, 1500ms);
}

TEST(Printable, ControlCharactersAndBadBytesAreEscaped) {
    EXPECT_EQ(course::printable("alice"), "alice");
    EXPECT_EQ(course::printable("жук"), "жук");  // non-ASCII text stays readable
    EXPECT_EQ(course::printable("bob\nINFO forged line"), "bob\\nINFO forged line");
    EXPECT_EQ(course::printable("\x1b[31mred"), "\\x1b[31mred");
    EXPECT_EQ(course::printable("a\\b"), "a\\\\b");
    EXPECT_EQ(course::printable("\x7f"), "\\x7f");
    EXPECT_EQ(course::printable("\xc2\x9b"), "\\u009b");  // C1 CSI
    EXPECT_EQ(course::printable("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(course::printable("\xe2\x82"), "\\xe2\\x82");  // a cut sequence
}

TEST(Printable, LongTextIsCut) {
    EXPECT_EQ(course::printable(std::string(1000, 'a'), 8), "aaaaaaaa...");
}

TEST(StandardDescriptors, AClosedStdinBecomesDevNull) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(0);
        course::open_missing_standard_descriptors();
        char byte;
        // Open, and at end of input at once: /dev/null.
        _exit(fcntl(0, F_GETFD) != -1 && read(0, &byte, 1) == 0 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
