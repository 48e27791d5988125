// Real PNG files for the v6 tests, made with zlib: a gradient image that any decoder (the
// browser's too) shows, and the pieces to build broken ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace course::test {

// One chunk: length, type, data, CRC-32 over type and data.
std::string png_chunk(std::string_view type, std::string_view data);
// The 8-byte PNG signature.
std::string png_signature();
// A valid RGB image, width x height, a colour gradient.
std::string make_png(std::uint32_t width = 64, std::uint32_t height = 48);
// A valid 64x48 PNG of exactly `size` bytes (at least make_png().size() + 20), padded
// with a tEXt chunk before IEND.
std::string make_png_of_size(std::size_t size);
// The same PNG with one byte of the IDAT data changed: its CRC no longer matches.
std::string with_bad_crc(std::string png);

}  // namespace course::test
