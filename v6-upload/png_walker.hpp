// An incremental PNG walker: fed the upload in whatever slices TCP delivers, it checks the
// structure as the bytes go by, and keeps only a few bytes of state. No I/O in here, so it
// is easy to unit-test (every split point) and to fuzz.
//
// A PNG file is an 8-byte signature and then chunks, each:
//   length (4 bytes, big-endian, at most 2^31-1) | type (4 ASCII letters) | data | CRC-32
// where the CRC covers type and data. The last chunk is IEND (length 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

class PngWalker {
public:
    enum class Status {
        NeedMore,  // fine so far: feed the next bytes
        Done,      // IEND read and checked: the file is complete
        Error,     // not a valid PNG stream (see error()); the walker stays in this state
    };

    // `max_bytes`: the largest upload accepted, counted over the whole file.
    explicit PngWalker(std::uint64_t max_bytes);

    // Walks `bytes`, which continue what came before. A slice may cut anything anywhere:
    // the signature, a length, a type, the data, a CRC. The file ends with IEND's CRC:
    // bytes after it are not part of it, and the walker does not look at them (Done stays
    // Done), so the verdict never depends on whether they came in the same slice.
    Status feed(std::span<const std::byte> bytes);

    // How many bytes of the last slice fed belong to the file: all of them, except in the
    // slice that holds the end of IEND and more (and 0 in any slice after that).
    std::size_t used() const { return used_; }

    Status status() const { return status_; }
    const std::string& error() const { return error_; }  // e.g. "bad CRC in chunk IDAT"
    std::uint64_t bytes_seen() const { return total_; }  // bytes accepted so far

    static constexpr std::uint32_t kMaxChunkLength = 0x7fffffff;  // PNG's own limit, 2^31-1

private:
    enum class State { Signature, Header, Data, Crc, End };

    Status fail(std::string reason);
    void header_complete();
    void crc_complete();

    std::uint64_t max_bytes_;
    std::uint64_t total_ = 0;  // bytes consumed so far
    std::size_t used_ = 0;     // of the last slice
    State state_ = State::Signature;
    Status status_ = Status::NeedMore;
    std::string error_;

    unsigned char small_[8] = {};  // the signature, a header or a CRC being assembled
    std::size_t small_size_ = 0;
    std::uint32_t length_ = 0;     // of the current chunk
    std::uint32_t remaining_ = 0;  // data bytes of the current chunk still to come
    char type_[5] = {};            // of the current chunk, NUL-terminated for messages
    unsigned long crc_ = 0;        // running CRC-32 of type and data (zlib's type)
};
