// Saving what other users send: the file name comes from a stranger, so it is cleaned
// before it touches the file system, and an existing file is never overwritten.
#pragma once

#include <string>
#include <string_view>

#include "protocol.hpp"

// Keeps only a harmless base name: no directory part (no `/`, nor `\`), no `..`, never
// hidden (a leading `.` becomes `_`), at most 200 bytes; each control character (C0, DEL,
// C1), format character (Unicode Cf) and byte that is not UTF-8 becomes `_`.
// "../../x" -> "x", "/etc/passwd" -> "passwd", "a\nb" -> "a_b", ".profile" -> "_profile".
// Empty when nothing is left.
std::string sanitize_filename(std::string_view name);

// The name when none came or nothing was left of it: "image-20261122T120000.123Z".
std::string fallback_filename(std::uint16_t type, std::string_view timestamp);

// Creates a NEW file in `directory` (O_CREAT | O_EXCL: never an existing one, never through
// a symlink) named `name`, or "a (1).pdf", "a (2).pdf" ... when "a.pdf" is taken, and
// writes `content` to it. Returns the path, or an empty path and an error text. A file
// that cannot be written whole is removed: never a partial file.
struct SavedFile {
    std::string path;
    std::string error;
};
SavedFile save_new_file(const std::string& directory, const std::string& name,
                        std::string_view content);
