#include "course/cli.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace course {

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app.help("", CLI::AppFormatMode::All);
        return 0;
    } catch (const CLI::ParseError& error) {
        std::string program = std::filesystem::path(argv[0]).filename().string();
        std::cerr << program << ": " << error.what() << " (try --help)\n";
        return 2;
    }
    return std::nullopt;
}

CLI::Option* add_address_option(CLI::App& app, Address& address, std::string_view help,
                                std::string name) {
    auto validator = CLI::Validator(
        [](std::string& text) -> std::string {
            return parse_address(text) ? "" : "not a HOST:PORT address: '" + text + "'";
        },
        "");
    return app
        .add_option_function<std::string>(
            name, [&address](const std::string& text) { address = *parse_address(text); },
            std::string(help))
        ->check(validator)
        ->type_name("HOST:PORT")
        ->default_str(address.to_string());
}

namespace {

// `text` as a whole number when it is only digits and at most `max`; nothing otherwise.
// The check against max happens before each multiplication, so nothing overflows.
std::optional<std::uint64_t> whole_number_at_most(const std::string& text, std::uint64_t max) {
    if (text.empty())
        return std::nullopt;
    std::uint64_t number = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (number > (max - digit) / 10)
            return std::nullopt;
        number = number * 10 + digit;
    }
    return number;
}

}  // namespace

CLI::Option* add_number_option(CLI::App& app, const std::string& name, std::uint64_t& value,
                               std::uint64_t min, std::uint64_t max, const std::string& help) {
    std::string range = std::to_string(min) + " to " + std::to_string(max);
    auto validator = CLI::Validator(
        [name, min, max, range](std::string& text) -> std::string {
            auto number = whole_number_at_most(text, max);
            if (number && *number >= min)
                return "";
            // CLI11 puts the option's name before this; a long text is cut, not echoed whole.
            std::string shown = text.size() > 20 ? text.substr(0, 20) + "..." : text;
            return "a whole number from " + range + " is needed, not '" + shown + "'";
        },
        "");
    return app
        .add_option_function<std::string>(
            name,
            [&value, max](const std::string& text) { value = *whole_number_at_most(text, max); },
            help)
        ->check(validator)
        ->type_name("N")
        ->default_str(std::to_string(value));
}

void announce_listening(const Address& bound) {
    std::cout << "listening on " << bound.to_string() << std::endl;  // endl: flush, always
}

}  // namespace course
