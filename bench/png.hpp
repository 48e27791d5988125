// A valid PNG of about a given size, made cheaply: a grey 8-bit image whose zlib stream uses
// stored (uncompressed) deflate blocks, cut into IDAT chunks of 1 MiB, every CRC-32 right.
#pragma once

#include <string>

namespace loadgen {

std::string make_png(std::size_t approximate_size);

}  // namespace loadgen
