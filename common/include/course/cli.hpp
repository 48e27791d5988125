// The command line every server and client shares: CLI11 with the course's exit codes,
// the --address option, and the one line a server prints once it accepts connections.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "course/address.hpp"

namespace course {

// Parses argv. Returns the exit status the program should end with right away (0 after
// --help, 2 after a bad argument, its one-line message already on stderr), or nothing when
// the program should go on. CLI11's own exit codes differ; the course contract says 2.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Adds `--address HOST:PORT`, validated by parse_address, stored into `address`, whose
// current value is shown as the default in --help.
CLI::Option* add_address_option(
    CLI::App& app, Address& address,
    std::string_view help = "address to listen on (port 0: any free port)",
    std::string name = "--address");

// Adds `name N`: a whole number from min to max; anything else (text, a sign, a
// fraction, out of range) is exit 2 with one line naming the option and its range.
// Only digits are read, and never more than max, so a 300-digit number is refused without
// any arithmetic overflowing on it.
CLI::Option* add_number_option(CLI::App& app, const std::string& name, std::uint64_t& value,
                               std::uint64_t min, std::uint64_t max, const std::string& help);

// Prints exactly "listening on HOST:PORT" on stdout and flushes, so whoever started the
// server (a test, the tour, you) knows the real port once connections are accepted.
void announce_listening(const Address& bound);

}  // namespace course
