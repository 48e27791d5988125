// libFuzzer target for the PNG walker: any bytes, cut into slices at positions the fuzzer
// chooses, must never crash it, and neither the verdict nor where the file ends may
// depend on where the cuts fall: bytes after IEND (seeds in corpus/png-walker/) are not
// part of the file, whether they come in IEND's slice or later.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "png_walker.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    // The first two bytes choose the limit and how to cut; the rest is the stream.
    std::uint64_t max_bytes = 64 + std::uint64_t{data[0]} * 1024;
    std::size_t step = 1 + data[1];
    auto stream = std::as_bytes(std::span(data + 2, size - 2));

    PngWalker whole(max_bytes);
    auto verdict = whole.feed(stream);
    if (whole.used() > stream.size() ||
        (verdict != PngWalker::Status::Done && verdict != PngWalker::Status::Error &&
         whole.used() != stream.size())) {
        std::abort();  // a walker that needs more must have used every byte it was given
    }

    PngWalker sliced(max_bytes);
    auto status = PngWalker::Status::NeedMore;
    std::uint64_t used = 0;  // bytes of the slices that belong to the file
    for (std::size_t at = 0; at < stream.size(); at += step) {
        status = sliced.feed(stream.subspan(at, std::min(step, stream.size() - at)));
        used += sliced.used();
    }
    if (stream.empty()) {
        status = sliced.status();
    }
    if (status != verdict || sliced.bytes_seen() > max_bytes) {
        std::abort();  // the cuts changed the verdict, or the limit was passed
    }
    if (verdict == PngWalker::Status::Done &&
        (used != whole.used() || sliced.bytes_seen() != whole.bytes_seen())) {
        std::abort();  // the cuts moved the end of the file
    }
    return 0;
}
