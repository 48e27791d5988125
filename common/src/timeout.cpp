#include "course/timeout.hpp"

#include <cmath>
#include <sstream>

namespace course {

std::optional<std::chrono::milliseconds> timeout_from_seconds(double seconds) {
    // `!(seconds > 0)` is also true for nan, which compares false with everything.
    if (!(seconds > 0) || !std::isfinite(seconds) || seconds > max_timeout_seconds) {
        return std::nullopt;
    }
    // At most a year: 3.2e10 ms, far from the 64-bit limit of milliseconds (and of the
    // nanoseconds a steady_clock adds it to). A positive value under a millisecond
    // still means "a little", not "never wait".
    auto milliseconds = static_cast<long long>(std::ceil(seconds * 1000));
    return std::chrono::milliseconds(milliseconds);
}

CLI::Option* add_timeout_option(CLI::App& app, const std::string& name,
                                std::chrono::milliseconds& timeout, const std::string& help) {
    auto validator = CLI::Validator(
        [](std::string& text) -> std::string {
            double seconds = 0;
            std::istringstream in(text);
            in >> seconds;
            bool whole_text = in && in.peek() == std::char_traits<char>::eof();
            if (!whole_text || !timeout_from_seconds(seconds)) {
                return "a timeout is a positive number of seconds, at most 31536000 (a year): '" +
                       text + "'";
            }
            return "";
        },
        "");
    std::ostringstream shown;
    shown << std::chrono::duration<double>(timeout).count();
    return app
        .add_option_function<std::string>(
            name,
            [&timeout](const std::string& text) {
                timeout = *timeout_from_seconds(std::stod(text));
            },
            help)
        ->check(validator)
        ->type_name("SECONDS")
        ->default_str(shown.str());
}

}  // namespace course
