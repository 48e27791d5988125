// Unit tests of the incremental PNG walker (v6-upload/png_walker.hpp): it must give the
// same verdict however TCP cuts the stream.
#include "png_walker.hpp"

#include <gtest/gtest.h>

#include "png_maker.hpp"

namespace course::test {
namespace {

using Status = PngWalker::Status;
constexpr std::uint64_t kBig = 1ull << 40;

std::span<const std::byte> bytes(std::string_view text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// Feeds `data` in one slice per element of `cuts` (positions where a slice ends).
Status feed_split(PngWalker& walker, std::string_view data, std::vector<std::size_t> cuts) {
    std::size_t from = 0;
    Status status = Status::NeedMore;
    cuts.push_back(data.size());
    for (auto cut : cuts) {
        status = walker.feed(bytes(data.substr(from, cut - from)));
        from = cut;
    }
    return status;
}

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

TEST(PngWalker, AcceptsAValidImageInOneSlice) {
    auto png = make_png();
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed(bytes(png)), Status::Done) << walker.error();
    EXPECT_EQ(walker.bytes_seen(), png.size());
}

TEST(PngWalker, ASplitAtEveryByteBoundaryGivesTheSameVerdict) {
    auto png = make_png(8, 4);  // small, so every pair of cuts is tried too
    for (std::size_t cut = 0; cut <= png.size(); ++cut) {
        PngWalker walker(kBig);
        ASSERT_EQ(feed_split(walker, png, {cut}), Status::Done)
            << "cut at " << cut << ": " << walker.error();
    }
    for (std::size_t a = 0; a <= png.size(); ++a) {
        for (std::size_t b = a; b <= png.size(); ++b) {
            PngWalker walker(kBig);
            ASSERT_EQ(feed_split(walker, png, {a, b}), Status::Done)
                << "cuts at " << a << " and " << b << ": " << walker.error();
        }
    }
}

TEST(PngWalker, ByteByByte) {
    auto png = make_png();
    PngWalker walker(kBig);
    for (std::size_t i = 0; i < png.size(); ++i) {
        auto status = walker.feed(bytes(std::string_view(png).substr(i, 1)));
        ASSERT_EQ(status, i + 1 == png.size() ? Status::Done : Status::NeedMore)
            << "byte " << i << ": " << walker.error();
    }
}

TEST(PngWalker, EmptySlicesChangeNothing) {
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed({}), Status::NeedMore);
    auto png = make_png();
    EXPECT_EQ(walker.feed(bytes(png)), Status::Done);
    EXPECT_EQ(walker.feed({}), Status::Done);
}

TEST(PngWalker, IendSplitAnywhereIsOnlyDoneAtItsLastByte) {
    auto png = make_png();
    for (std::size_t cut = png.size() - 12; cut < png.size(); ++cut) {
        PngWalker walker(kBig);
        ASSERT_EQ(walker.feed(bytes(std::string_view(png).substr(0, cut))), Status::NeedMore);
        ASSERT_EQ(walker.feed(bytes(std::string_view(png).substr(cut))), Status::Done);
    }
}

TEST(PngWalker, NotAPngIsRefusedAtTheFirstWrongByte) {
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed(bytes("G")), Status::Error);
    EXPECT_NE(walker.error().find("not a PNG"), std::string::npos) << walker.error();
    PngWalker text(kBig);
    EXPECT_EQ(text.feed(bytes("GIF89a....")), Status::Error);
    PngWalker almost(kBig);
    EXPECT_EQ(almost.feed(bytes(std::string("\x89PNG\r\n\x1a\r", 8))), Status::Error);
}

TEST(PngWalker, BadCrcIsAnError) {
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed(bytes(with_bad_crc(make_png()))), Status::Error);
    EXPECT_NE(walker.error().find("CRC"), std::string::npos) << walker.error();
    // A wrong CRC on IEND itself, too.
    auto png = make_png();
    png.back() ^= 1;
    PngWalker iend(kBig);
    EXPECT_EQ(iend.feed(bytes(png)), Status::Error);
}

TEST(PngWalker, TruncatedIsNeverDone) {
    auto png = make_png();
    for (std::size_t size = 0; size < png.size(); ++size) {
        PngWalker walker(kBig);
        ASSERT_EQ(walker.feed(bytes(std::string_view(png).substr(0, size))), Status::NeedMore)
            << size;
    }
}

TEST(PngWalker, ALengthOverPngsLimitIsRefusedAtItsHeader) {
    PngWalker walker(kBig);
    auto data = png_signature() + be32(0x80000000u) + "IDAT";
    EXPECT_EQ(walker.feed(bytes(data)), Status::Error);
    EXPECT_NE(walker.error().find("2^31-1"), std::string::npos) << walker.error();
    PngWalker all_ones(kBig);
    EXPECT_EQ(all_ones.feed(bytes(png_signature() + be32(0xffffffffu) + "IDAT")), Status::Error);
}

TEST(PngWalker, LengthTwoToTheThirtyOneMinusOneIsPngsLimitItself) {
    // Accepted by PNG's rule (and waits for its data) when the limit allows it...
    PngWalker roomy(kBig);
    EXPECT_EQ(roomy.feed(bytes(png_signature() + be32(0x7fffffffu) + "IDAT")), Status::NeedMore)
        << roomy.error();
    // ...and refused at once, before its data, when max_upload_bytes does not.
    PngWalker walker(32 * 1024 * 1024);
    EXPECT_EQ(walker.feed(bytes(png_signature() + be32(0x7fffffffu) + "IDAT")), Status::Error);
    EXPECT_NE(walker.error().find("too large"), std::string::npos) << walker.error();
}

TEST(PngWalker, ExactlyMaxIsFineOneMoreIsNot) {
    auto png = make_png_of_size(10000);
    PngWalker exact(10000);
    EXPECT_EQ(exact.feed(bytes(png)), Status::Done) << exact.error();
    PngWalker under(9999);
    EXPECT_EQ(under.feed(bytes(png)), Status::Error);
    // Refused at the header of the chunk that cannot fit, before its data arrives:
    // counting the IEND still to come.
    PngWalker early(9999);
    auto text_at = png.find("tEXt") - 4;
    EXPECT_EQ(early.feed(bytes(std::string_view(png).substr(0, text_at + 8))), Status::Error);
}

TEST(PngWalker, TheFileEndsWithIendAndWhatFollowsIsNotPartOfIt) {
    auto png = make_png();
    const std::string after = "x\ntrailing";
    PngWalker same_slice(kBig);
    EXPECT_EQ(same_slice.feed(bytes(png + after)), Status::Done);
    EXPECT_EQ(same_slice.used(), png.size());
    EXPECT_EQ(same_slice.bytes_seen(), png.size());
    PngWalker next_slice(kBig);
    EXPECT_EQ(next_slice.feed(bytes(png)), Status::Done);
    EXPECT_EQ(next_slice.used(), png.size());
    EXPECT_EQ(next_slice.feed(bytes(after)), Status::Done);
    EXPECT_EQ(next_slice.used(), 0u);
    // IEND's CRC cut anywhere, the rest after it in the same slice.
    for (std::size_t cut = png.size() - 12; cut < png.size(); ++cut) {
        PngWalker walker(kBig);
        EXPECT_EQ(walker.feed(bytes(std::string_view(png).substr(0, cut))), Status::NeedMore);
        EXPECT_EQ(walker.feed(bytes(png.substr(cut) + after)), Status::Done) << cut;
        EXPECT_EQ(walker.used(), png.size() - cut) << cut;
    }
}

TEST(PngWalker, ChunkTypesAreFourLetters) {
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed(bytes(png_signature() + png_chunk("ID4T", "abc"))), Status::Error);
}

TEST(PngWalker, IendWithDataIsAnError) {
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed(bytes(png_signature() + png_chunk("IEND", "x"))), Status::Error);
}

TEST(PngWalker, AnErrorIsFinal) {
    PngWalker walker(kBig);
    EXPECT_EQ(walker.feed(bytes("nope")), Status::Error);
    EXPECT_EQ(walker.feed(bytes(make_png())), Status::Error);
}

}  // namespace
}  // namespace course::test
