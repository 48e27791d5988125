#include "course/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace course {

bool setup_logging(const std::string& level) {
    auto parsed = spdlog::level::from_str(level);
    if (parsed == spdlog::level::off && level != "off") {
        return false;  // from_str answers "off" for names it does not know
    }
    auto logger = std::make_shared<spdlog::logger>(
        "course", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
    logger->set_level(parsed);
    logger->flush_on(spdlog::level::info);  // a test reading our stderr sees it at once
    spdlog::set_default_logger(logger);
    return true;
}

}  // namespace course

namespace course {

namespace {

// The length of the UTF-8 sequence that starts `text` (1 to 4), or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2
                                         : lead >= 0xE0 && lead <= 0xEF ? 3
                                         : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                                        : 0;
    if (length == 0 || length > text.size()) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;
    if (lead == 0xED && byte(1) >= 0xA0) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;
    if (lead == 0xF4 && byte(1) >= 0x90) return 0;
    return length;
}

}  // namespace

std::string printable(std::string_view text, std::size_t limit) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    std::size_t i = 0;
    while (i < text.size() && i < limit) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = utf8_sequence_length(text.substr(i));
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (length == 0 || c < 0x20 || c == 0x7F) {
            out += "\\x";  // a C0 control, DEL, or a byte that starts no UTF-8 character
            out += hex[c >> 4];
            out += hex[c & 0xF];
            length = 1;
        } else if (length == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
            // U+0080..U+009F, the C1 controls (U+009B alone starts a terminal sequence)
            auto code = static_cast<unsigned char>(text[i + 1]);
            out += "\\u00";
            out += hex[code >> 4];
            out += hex[code & 0xF];
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    if (i < text.size()) out += "...";
    return out;
}

}  // namespace course
