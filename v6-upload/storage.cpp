#include "storage.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <system_error>

namespace {

// [v6 step 2] Draw a name: the UTC time and 64 bits from getrandom(), then ".png".
std::system_error os_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

// 64 bits from the kernel's secure random source. Not a std::mt19937_64 seeded once:
// that generator's state can be rebuilt from 312 of its outputs, and then every name
// it will ever draw is known. getrandom() output says nothing about the next.
std::uint64_t random_bits() {
    std::uint64_t bits = 0;
    while (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) {
        if (errno != EINTR) {
            throw os_error("getrandom");
        }
    }
    return bits;
}

std::string final_name() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char name[64];
    std::size_t length = std::strftime(name, sizeof name, "%Y%m%dT%H%M%SZ", &utc);
    std::snprintf(name + length, sizeof name - length, "-%016llx.png",
                  static_cast<unsigned long long>(random_bits()));
    return name;
}
// [/v6 step 2]

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

}  // namespace

bool is_upload_name(std::string_view name) {
    // 20261122T173512Z-3f9a1c0b2e4d6a81.png: 8 digits, T, 6 digits, Z, -, 16 hex, .png
    return name.size() == 37 && all_of_class(name.substr(0, 8), is_digit) && name[8] == 'T' &&
           all_of_class(name.substr(9, 6), is_digit) && name.substr(15, 2) == "Z-" &&
           all_of_class(name.substr(17, 16), is_hex) && name.substr(33) == ".png";
}

// [v6 step 2] Write TempFile: open(data_dir, O_TMPFILE), write() it all, name it with linkat().
// [starter] TempFile::TempFile(const std::filesystem::path& data_dir) : data_dir_(data_dir) {}
// [starter] TempFile::~TempFile() = default;
// [starter] void TempFile::write(std::span<const std::byte>) {}
// [starter] std::string TempFile::commit() { return {}; }
TempFile::TempFile(const std::filesystem::path& data_dir) : data_dir_(data_dir) {
    // O_TMPFILE: a file in data_dir's file system with no name in any directory. It needs
    // a file system that supports it (ext4, xfs, btrfs, tmpfs ... not every NFS).
    fd_ = ::open(data_dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw os_error("cannot create an unnamed file (O_TMPFILE) in " + data_dir.string());
    }
    ::fchmod(fd_, 0644);  // whatever the umask: a finished upload is for everyone (nginx)
}

TempFile::~TempFile() {
    if (fd_ >= 0) {
        ::close(fd_);  // not committed: the kernel frees the file, nothing is left behind
    }
}

void TempFile::write(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw os_error("write to " + data_dir_.string());  // ENOSPC, EFBIG, EIO ...
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

std::string TempFile::commit() {
    // No fsync: the link promises a file that exists while the machine runs. A server that
    // must survive a power cut would fsync the file here and data_dir after the link (and
    // lose much of its ingest speed to the disk); see the lesson.
    //
    // linkat() gives the unnamed file a name, in one atomic step: anyone looking at
    // data_dir sees no file or the complete file. It never replaces an existing file
    // (EEXIST), so two uploads that drew the same name cannot overwrite each other.
    // The file is named through /proc/self/fd, the way open(2) documents for O_TMPFILE;
    // without /proc, AT_EMPTY_PATH does the same (it needs CAP_DAC_READ_SEARCH).
    std::string self = "/proc/self/fd/" + std::to_string(fd_);
    for (;;) {
        std::string name = final_name();
        auto path = data_dir_ / name;
        int linked = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
        if (linked != 0 && errno == ENOENT && ::access("/proc/self/fd", F_OK) != 0) {
            linked = ::linkat(fd_, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH);
        }
        if (linked == 0) {
            return name;
        }
        if (errno != EEXIST) {
            throw os_error("link " + path.string());
        }
    }
}
// [/v6 step 2]
