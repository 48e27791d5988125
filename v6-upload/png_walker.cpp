#include "png_walker.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace {

// [v6 step 3] Add the 8 signature bytes, a big-endian reader and a test for a letter.
constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::uint64_t kIendSize = 12;  // length 0, "IEND", CRC

std::uint32_t big_endian(const unsigned char* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
           std::uint32_t{p[3]};
}

bool is_letter(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
// [/v6 step 3]

}  // namespace

PngWalker::PngWalker(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

PngWalker::Status PngWalker::fail(std::string reason) {
    state_ = State::End;
    status_ = Status::Error;
    error_ = std::move(reason);
    return status_;
}

// [v6 step 3] Walk signature, then chunks (length, type, data, CRC-32) to IEND; refuse early.
// [starter] PngWalker::Status PngWalker::feed(std::span<const std::byte> bytes) {
// [starter]     total_ += bytes.size();  // every byte taken, the file never complete
// [starter]     used_ = bytes.size();
// [starter]     return status_;
// [starter] }
// The 8 bytes of length and type are in small_: check them before any data is accepted.
void PngWalker::header_complete() {
    length_ = big_endian(small_);
    std::memcpy(type_, small_ + 4, 4);
    if (length_ > kMaxChunkLength) {
        fail("chunk length " + std::to_string(length_) + " is over PNG's limit of 2^31-1");
        return;
    }
    if (!std::all_of(small_ + 4, small_ + 8, is_letter)) {
        fail("bad chunk type (PNG chunk types are four ASCII letters)");
        return;
    }
    // Refuse now, not after receiving it all: where would this chunk end, and could a
    // complete file still fit? After any chunk but IEND, an IEND must still come.
    bool is_iend = std::memcmp(type_, "IEND", 4) == 0;
    std::uint64_t end = total_ + length_ + 4 + (is_iend ? 0 : kIendSize);
    if (end > max_bytes_) {
        fail("upload too large: chunk " + std::string(type_) + " of " + std::to_string(length_) +
             " bytes would pass max_upload_bytes (" + std::to_string(max_bytes_) + ")");
        return;
    }
    if (is_iend && length_ != 0) {
        fail("IEND chunk with data");
        return;
    }
    crc_ = crc32(0L, small_ + 4, 4);  // the CRC covers the type, then the data
    remaining_ = length_;
    state_ = length_ == 0 ? State::Crc : State::Data;
}

void PngWalker::crc_complete() {
    if (big_endian(small_) != static_cast<std::uint32_t>(crc_)) {
        fail(std::string("bad CRC in chunk ") + type_);
        return;
    }
    if (std::memcmp(type_, "IEND", 4) == 0) {
        state_ = State::End;
        status_ = Status::Done;
        return;
    }
    state_ = State::Header;
}

PngWalker::Status PngWalker::feed(std::span<const std::byte> bytes) {
    auto p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t left = bytes.size();
    std::uint64_t total_before = total_;

    // Copies up to `want` bytes into small_; true once it holds that many.
    auto gather = [&](std::size_t want) {
        std::size_t n = std::min(want - small_size_, left);
        std::memcpy(small_ + small_size_, p, n);
        small_size_ += n;
        p += n;
        left -= n;
        total_ += n;
        if (small_size_ < want) {
            return false;
        }
        small_size_ = 0;
        return true;
    };

    while (left > 0 && status_ == Status::NeedMore) {
        switch (state_) {
            case State::Signature: {
                // Checked as it arrives: "hello" is refused at its first byte.
                bool complete = gather(8);
                std::size_t have = complete ? 8 : small_size_;
                if (std::memcmp(small_, kSignature, have) != 0) {
                    return fail("not a PNG file (bad signature)");
                }
                if (complete) {
                    state_ = State::Header;
                }
                break;
            }
            case State::Header:
                if (gather(8)) {
                    header_complete();
                }
                break;
            case State::Data: {
                // The bulk of the file: no copy, just the CRC over the caller's bytes.
                auto n = static_cast<std::uint32_t>(std::min<std::size_t>(remaining_, left));
                crc_ = crc32(crc_, p, n);
                p += n;
                left -= n;
                total_ += n;
                remaining_ -= n;
                if (remaining_ == 0) {
                    state_ = State::Crc;
                }
                break;
            }
            case State::Crc:
                if (gather(4)) {
                    crc_complete();
                }
                break;
            case State::End: break;
        }
    }
    used_ = static_cast<std::size_t>(total_ - total_before);
    // A slice cut right after a header may leave an empty chunk waiting for its CRC;
    // that is fine: the CRC comes with the next slice.
    return status_;
}
// [/v6 step 3]
