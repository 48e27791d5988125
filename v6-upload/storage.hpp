// Where uploads land: an unnamed file in data_dir while the bytes arrive, its final name
// once the PNG is complete. A reader of data_dir (the HTTP side, a backup, you) never
// sees half a file, and nothing is left of an upload that fails, even after a kill -9.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

// "20261122T173512Z-3f9a1c0b2e4d6a81.png": UTC time, 64 random bits from getrandom(),
// ".png". The HTTP side serves exactly the names that match this pattern, nothing else.
bool is_upload_name(std::string_view name);

// An upload in progress: a file in data_dir without a name (O_TMPFILE). Nobody can open,
// remove or replace it, not even a second server sharing data_dir; when its descriptor
// closes without commit(), or the process dies, the kernel frees it.
class TempFile {
public:
    // Throws std::system_error, also when data_dir's file system has no O_TMPFILE.
    explicit TempFile(const std::filesystem::path& data_dir);
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    void write(std::span<const std::byte> bytes);  // all of it, or throws std::system_error
    // Gives the file a fresh final name, never replacing a file; returns that name.
    std::string commit();

private:
    std::filesystem::path data_dir_;
    int fd_ = -1;
};
