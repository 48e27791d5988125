#include "storage.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <random>
#include <system_error>
#include <utility>

namespace {

std::system_error os_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

std::string final_name() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char name[64];
    std::strftime(name, sizeof name, "%Y%m%dT%H%M%SZ", &utc);
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "-%016llx.png", static_cast<unsigned long long>(random()));
    return std::string(name) + suffix;
}

bool all_of_class(std::string_view text, bool (*accept)(char)) {
    for (char c : text) {
        if (!accept(c)) {
            return false;
        }
    }
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

bool is_temporary_name(std::string_view name) {
    return name.size() == 18 && name.starts_with(".upload-") && name.ends_with(".tmp") &&
           all_of_class(name.substr(8, 6), is_alnum);
}

bool is_upload_name(std::string_view name) {
    // 20261122T173512Z-3f9a1c0b2e4d6a81.png: 8 digits, T, 6 digits, Z, -, 16 hex, .png
    return name.size() == 37 && all_of_class(name.substr(0, 8), is_digit) && name[8] == 'T' &&
           all_of_class(name.substr(9, 6), is_digit) && name.substr(15, 2) == "Z-" &&
           all_of_class(name.substr(17, 16), is_hex) && name.substr(33) == ".png";
}

std::size_t remove_stale_temporaries(const std::filesystem::path& data_dir) {
    std::size_t removed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
        if (is_temporary_name(entry.path().filename().string()) &&
            std::filesystem::remove(entry.path())) {
            ++removed;
        }
    }
    return removed;
}

TempFile::TempFile(const std::filesystem::path& data_dir) : data_dir_(data_dir) {
    std::string pattern = (data_dir / ".upload-XXXXXX.tmp").string();
    // mkostemps fills in the X's and opens with O_CREAT|O_EXCL: a name nobody else holds.
    fd_ = mkostemps(pattern.data(), 4, O_CLOEXEC);
    if (fd_ < 0) {
        throw os_error("cannot create a temporary file in " + data_dir.string());
    }
    path_ = pattern;
    // mkstemp makes it private (0600); a finished upload is for everyone to read (nginx).
    ::fchmod(fd_, 0644);
}

TempFile::~TempFile() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    if (!committed_) {
        ::unlink(path_.c_str());  // a failed upload leaves nothing behind
    }
}

void TempFile::write(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw os_error("write " + path_.string());
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

std::string TempFile::commit() {
    // No fsync: the link promises a file that exists while the machine runs. A server that
    // must survive a power cut would fsync the file here and data_dir after the rename
    // (and lose much of its ingest speed to the disk); see the lesson.
    if (::close(std::exchange(fd_, -1)) != 0) {
        throw os_error("close " + path_.string());
    }
    for (;;) {
        std::string name = final_name();
        // RENAME_NOREPLACE: atomic, and never overwrites an upload that got the same name.
        if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, (data_dir_ / name).c_str(),
                        RENAME_NOREPLACE) == 0) {
            committed_ = true;
            return name;
        }
        if (errno == EINVAL) {  // a file system without RENAME_NOREPLACE: link() never
            if (::link(path_.c_str(), (data_dir_ / name).c_str()) == 0) {  // replaces either
                ::unlink(path_.c_str());
                committed_ = true;
                return name;
            }
        }
        if (errno != EEXIST) {
            throw os_error("rename " + path_.string());
        }
    }
}
