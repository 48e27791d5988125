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
