#include "png_maker.hpp"

#include <zlib.h>

#include <stdexcept>

namespace course::test {

namespace {

std::string be32(std::uint32_t value) {
    return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
            static_cast<char>(value >> 8), static_cast<char>(value)};
}

std::string compress(const std::string& raw) {
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::string out(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                  reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                  9) != Z_OK) {
        throw std::runtime_error("compress2 failed");
    }
    out.resize(size);
    return out;
}

std::string image_without_iend(std::uint32_t width, std::uint32_t height) {
    std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
    std::string raw;
    for (std::uint32_t y = 0; y < height; ++y) {
        raw += '\0';  // filter type: none
        for (std::uint32_t x = 0; x < width; ++x) {
            raw += static_cast<char>(x * 255 / (width > 1 ? width - 1 : 1));
            raw += static_cast<char>(y * 255 / (height > 1 ? height - 1 : 1));
            raw += static_cast<char>(128);
        }
    }
    return png_signature() + png_chunk("IHDR", ihdr) + png_chunk("IDAT", compress(raw));
}

}  // namespace

std::string png_chunk(std::string_view type, std::string_view data) {
    std::string typed = std::string(type) + std::string(data);
    auto crc =
        crc32(0L, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()));
    return be32(static_cast<std::uint32_t>(data.size())) + typed +
           be32(static_cast<std::uint32_t>(crc));
}

std::string png_signature() { return std::string("\x89PNG\r\n\x1a\n", 8); }

std::string make_png(std::uint32_t width, std::uint32_t height) {
    return image_without_iend(width, height) + png_chunk("IEND", "");
}

std::string make_png_of_size(std::size_t size) {
    std::string body = image_without_iend(64, 48);
    std::size_t fixed = body.size() + 12 /* tEXt overhead */ + 12 /* IEND */ + 8;
    if (size < fixed) {
        throw std::invalid_argument("make_png_of_size: too small");
    }
    std::string text = "Comment" + std::string(1, '\0') + std::string(size - fixed, 'x');
    std::string png = body + png_chunk("tEXt", text) + png_chunk("IEND", "");
    if (png.size() != size) {
        throw std::logic_error("make_png_of_size: miscounted");
    }
    return png;
}

std::string with_bad_crc(std::string png) {
    auto idat = png.find("IDAT");
    png[idat + 4 + 10] ^= 0x01;  // a byte of the compressed data
    return png;
}

}  // namespace course::test
