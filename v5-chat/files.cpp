#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

// Appends the UTF-8 sequence at `pos` to `out` unless it is a control or not UTF-8.
static void keep_printable(std::string_view s, std::size_t& pos, std::string& out) {
    std::size_t start = pos;
    std::size_t end = pos + 1;
    while (end < s.size() && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80 &&
           end - start < 4) {
        ++end;
    }
    pos = end;
    std::string_view sequence = s.substr(start, end - start);
    if (!chat::is_valid_utf8(sequence)) {
        return;
    }
    unsigned char first = static_cast<unsigned char>(sequence[0]);
    unsigned char second = sequence.size() > 1 ? static_cast<unsigned char>(sequence[1]) : 0;
    bool c0_or_del = first < 0x20 || first == 0x7f;
    bool c1 = first == 0xc2 && second >= 0x80 && second <= 0x9f;  // U+0080..U+009F
    if (!c0_or_del && !c1) {
        out.append(sequence);
    }
}

std::string sanitize_filename(std::string_view name) {
    std::string clean;
    for (std::size_t pos = 0; pos < name.size();) {
        keep_printable(name, pos, clean);
    }
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
