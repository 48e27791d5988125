// Logging setup shared by every stage: spdlog to stderr, one pattern for all, so a
// server's stdout stays free for what it promises (`listening on ...`, answers).
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace course {

// Makes spdlog's default logger write to stderr at `level` ("trace" ... "off").
// Returns false (and changes nothing) for a level name spdlog does not know.
bool setup_logging(const std::string& level = "info");

}  // namespace course
