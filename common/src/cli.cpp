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

void announce_listening(const Address& bound) {
    std::cout << "listening on " << bound.to_string() << std::endl;  // endl: flush, always
}

}  // namespace course
