// Timeouts from the command line or a config file: a positive, finite number of seconds,
// at most a year. Not a lesson of its own: every server with a timeout needs the same rule.
//
// Why so strict? A timeout becomes arithmetic on clocks (now + timeout). `nan`, `inf`,
// `1e10` or a 64-bit integer of seconds overflow that arithmetic, and an overflowed
// deadline lies in the past: every client would be cut at once. So such values are
// refused where they enter, with a message, and nothing later has to think about them.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>

namespace course {

// The largest timeout any server accepts: a year, in seconds.
inline constexpr double max_timeout_seconds = 31'536'000;

// `seconds` as milliseconds when it is a valid timeout (positive, finite, at most a
// year); nothing otherwise.
std::optional<std::chrono::milliseconds> timeout_from_seconds(double seconds);

// Adds a timeout option, `name SECONDS`, that accepts only valid timeouts (anything else
// is a command-line error: exit 2 with a message) and stores it into `timeout`, whose
// current value is shown as the default in --help.
CLI::Option* add_timeout_option(CLI::App& app, const std::string& name,
                                std::chrono::milliseconds& timeout, const std::string& help);

}  // namespace course
