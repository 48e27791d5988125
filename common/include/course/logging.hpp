// Logging setup shared by every stage: spdlog to stderr, one pattern for all, so a
// server's stdout stays free for what it promises (`listening on ...`, answers).
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace course {

// Makes spdlog's default logger write to stderr at `level` ("trace" ... "off").
// Returns false (and changes nothing) for a level name spdlog does not know.
bool setup_logging(const std::string& level = "info");

// Text a peer chose (a name, a file name, an error detail), made safe to log: control
// characters (C0, DEL, C1), bytes that are not UTF-8, and the backslash itself come out
// as escapes (\n, \x1b, \u0085, \\); everything else, non-ASCII text included, as is.
// Without it a peer could end a log line and forge the next one, or send a terminal
// escape sequence to whoever reads the log. Long text is cut after `limit` bytes, with
// "..." after it, so one peer cannot fill the log either.
std::string printable(std::string_view text, std::size_t limit = 256);

}  // namespace course
