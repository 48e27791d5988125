#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

// A character that must not reach a file name: a control (C0, DEL, C1: a terminal escape,
// a newline that splits `ls` output) or a format character (U+202E turns "fdp.exe" into
// what reads as "exe.pdf"; a zero-width joiner makes two names look alike).
static bool is_hidden_trouble(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || chat::is_format_character(cp);
}

// Each such character, and each byte that is not UTF-8, becomes "_": the name keeps its
// length and shape, and a reader sees that something was there.
static std::string replace_troublemakers(std::string_view name) {
    std::string out;
    for (std::size_t pos = 0; pos < name.size();) {
        std::size_t start = pos;
        auto cp = chat::next_code_point(name, pos);
        if (!cp) {
            ++pos;  // not UTF-8: one byte at a time
        }
        if (!cp || is_hidden_trouble(*cp)) {
            out += '_';
        } else {
            out.append(name.substr(start, pos - start));
        }
    }
    return out;
}

std::string sanitize_filename(std::string_view name) {
    std::string clean = replace_troublemakers(name);
    // Only the base name, by the server's own rule (chat::base_name: whatever follows the
    // last "/" or "\"). Then no "..": a run of dots becomes one dot, and "." is no name.
    std::string result;
    for (char c : chat::base_name(clean).value_or("")) {
        if (!(c == '.' && !result.empty() && result.back() == '.')) {
            result += c;
        }
    }
    if (result == ".") {
        result.clear();
    }
    // Never a hidden file: ".bash_profile" in a home directory runs at the next login,
    // and `ls` would not even show it. "_bash_profile" is harmless and in plain sight.
    if (result.starts_with('.')) {
        result[0] = '_';
    }
    // Leave room for " (123)" within the 255 bytes of a Linux file name; cut on a
    // character boundary.
    constexpr std::size_t max_bytes = 200;
    if (result.size() > max_bytes) {
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(result[cut]) & 0xc0) == 0x80) {
            --cut;
        }
        result.resize(cut);
    }
    return result;
}

std::string fallback_filename(std::uint16_t type, std::string_view timestamp) {
    std::string kind = type == static_cast<std::uint16_t>(chat::MessageType::Image)   ? "image"
                       : type == static_cast<std::uint16_t>(chat::MessageType::Voice) ? "voice"
                                                                                      : "file";
    std::string time;
    for (char c : timestamp) {  // "2026-11-22T12:00:00.123Z" -> "20261122T120000.123Z"
        if (c != '-' && c != ':') {
            time += c;
        }
    }
    return kind + "-" + sanitize_filename(time);
}

SavedFile save_new_file(const std::string& directory, const std::string& name,
                        std::string_view content) {
    // "a.tar.gz" -> "a.tar" + ".gz"; ".profile" has no extension, only a name.
    auto dot = name.rfind('.');
    std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
    std::string extension = stem.size() == name.size() ? "" : name.substr(dot);
    for (int n = 0; n < 1000; ++n) {
        std::string candidate = n == 0 ? name : stem + " (" + std::to_string(n) + ")" + extension;
        std::string path = (directory.empty() ? "." : directory) + "/" + candidate;
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) {
            continue;  // taken: try the next number; checking first and then creating would race
        }
        if (fd < 0) {
            return {"", path + ": " + std::strerror(errno)};
        }
        while (!content.empty()) {
            ssize_t written = ::write(fd, content.data(), content.size());
            if (written < 0 && errno == EINTR) {
                continue;
            }
            if (written < 0) {
                // A full disk, a file-size limit: never leave a partial file behind,
                // it would look like a whole one.
                std::string error = path + ": " + std::strerror(errno);
                ::close(fd);
                ::unlink(path.c_str());
                return {"", error};
            }
            content.remove_prefix(static_cast<std::size_t>(written));
        }
        if (::close(fd) != 0) {  // some file systems report a failed write only here
            std::string error = path + ": " + std::strerror(errno);
            ::unlink(path.c_str());
            return {"", error};
        }
        return {path, ""};
    }
    return {"", "no free name for " + name + " in " + directory};
}
