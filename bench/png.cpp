#include "png.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>

namespace loadgen {

namespace {

void put32(std::string& out, std::uint32_t value) {  // PNG is big-endian
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>(value >> shift));
    }
}

void append_chunk(std::string& out, const char* type, std::string_view data) {
    put32(out, static_cast<std::uint32_t>(data.size()));
    auto crc_from = out.size();
    out.append(type, 4);
    out.append(data);
    auto crc = crc32(0, reinterpret_cast<const Bytef*>(out.data() + crc_from), 4 + data.size());
    put32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

std::string make_png(std::size_t approximate_size) {
    constexpr std::uint32_t width = 4096;
    constexpr std::size_t row = 1 + width;  // filter byte 0 ("none"), then the pixels
    auto height = static_cast<std::uint32_t>(std::max<std::size_t>(1, approximate_size / row));

    // The raw image: a gradient, so the picture shows something if anyone opens it.
    std::string raw(row * height, '\0');
    for (std::uint32_t y = 0; y < height; ++y) {
        for (std::uint32_t x = 0; x < width; ++x) {
            raw[y * row + 1 + x] = static_cast<char>((x + y) / 32);
        }
    }
    // zlib: a 2-byte header, stored blocks of at most 65535 bytes, the Adler-32 of the raw data.
    std::string zlib = "\x78\x01";
    zlib.reserve(raw.size() + raw.size() / 65535 * 5 + 16);
    for (std::size_t at = 0; at < raw.size(); at += 65535) {
        auto length = static_cast<std::uint16_t>(std::min<std::size_t>(65535, raw.size() - at));
        zlib.push_back(at + length == raw.size() ? 1 : 0);  // BFINAL on the last, BTYPE 00
        zlib.push_back(static_cast<char>(length));
        zlib.push_back(static_cast<char>(length >> 8));
        zlib.push_back(static_cast<char>(~length));
        zlib.push_back(static_cast<char>(~length >> 8));
        zlib.append(raw, at, length);
    }
    put32(zlib, static_cast<std::uint32_t>(
                    adler32(1, reinterpret_cast<const Bytef*>(raw.data()), raw.size())));
    raw = {};

    std::string png = "\x89PNG\r\n\x1a\n";
    png.reserve(zlib.size() + zlib.size() / (1 << 20) * 12 + 64);
    std::string header;
    put32(header, width);
    put32(header, height);
    header +=
        std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit grey, deflate, filter 0, no interlace
    append_chunk(png, "IHDR", header);
    for (std::size_t at = 0; at < zlib.size(); at += 1 << 20) {
        append_chunk(png, "IDAT", std::string_view(zlib).substr(at, 1 << 20));
    }
    append_chunk(png, "IEND", {});
    return png;
}

}  // namespace loadgen
