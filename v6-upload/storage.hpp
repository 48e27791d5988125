// Where uploads land: a temporary file while the bytes arrive, its final name once the PNG
// is complete. A reader of data_dir (the HTTP side, a backup, you) never sees half a file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

// ".upload-XXXXXX.tmp": starts with a dot and ends in .tmp, so it can never look like a
// final name (and the HTTP side never serves it).
bool is_temporary_name(std::string_view name);
// "20261122T173512Z-3f9a1c0b2e4d6a81.png": UTC time, 64 random bits, ".png". The HTTP side
// serves exactly the names that match this pattern, nothing else.
bool is_upload_name(std::string_view name);

// Removes the temporaries a killed server left behind; returns how many.
std::size_t remove_stale_temporaries(const std::filesystem::path& data_dir);

// An upload in progress: a fresh temporary file, created with O_EXCL (never someone
// else's), removed by the destructor unless commit() gave it its final name.
class TempFile {
public:
    explicit TempFile(const std::filesystem::path& data_dir);  // throws std::system_error
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    void write(std::span<const std::byte> bytes);  // all of it, or throws std::system_error
    // Renames the file to a fresh final name, never replacing a file; returns that name.
    std::string commit();

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path data_dir_;
    std::filesystem::path path_;
    int fd_ = -1;
    bool committed_ = false;
};
