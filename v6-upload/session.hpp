// One upload: the bytes of one PNG file in, one line out (the link, or an error), close.
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

struct UploadSettings {
    std::filesystem::path data_dir;
    std::uint64_t max_upload_bytes = 0;
    std::chrono::seconds read_timeout{30};
    std::string link_prefix;  // "http://example.org/images/": the link is this plus the name
};

// Streams the upload to a temporary file in data_dir while a PngWalker checks it, renames
// the file when IEND has been checked and answers the link. On any failure: `error: ...`,
// close, and no file is left behind.
asio::awaitable<void> serve_upload(asio::ip::tcp::socket socket, const UploadSettings& settings);
