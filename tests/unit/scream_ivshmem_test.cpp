// The Scream IVSHMEM ring: the writer does what the driver does, the reader gets exactly what
// was written, and no header the guest can write makes the reader read outside the region,
// loop without bound or deliver garbage.
#include "audio/scream_ivshmem.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <set>
#include <string_view>
#include <vector>

namespace periscope::audio {
namespace {

constexpr StreamFormat k48k16Stereo{48000, 16, 2, 0x3};
constexpr std::uint32_t kChunk = 3840;  // 20 ms of 48k/16/2

// A region of `bytes` bytes, 8-byte aligned like a real mapping.
class Region {
 public:
  explicit Region(std::size_t bytes) : words_((bytes + 7) / 8), bytes_(bytes) {}
  [[nodiscard]] SharedRegion shared() {
    return SharedRegion(reinterpret_cast<std::byte*>(words_.data()), bytes_);
  }
  [[nodiscard]] std::byte* data() { return reinterpret_cast<std::byte*>(words_.data()); }
  template <typename T>
  void set(std::size_t offset, T value) {
    std::memcpy(data() + offset, &value, sizeof value);
  }
  template <typename T>
  [[nodiscard]] T get(std::size_t offset) {
    T value;
    std::memcpy(&value, data() + offset, sizeof value);
    return value;
  }

 private:
  std::vector<std::uint64_t> words_;
  std::size_t bytes_;
};

// Collects chunks; can run an action inside on_chunk (the guest acting while we read).
class Collector : public ScreamChunkSink {
 public:
  void on_chunk(const StreamFormat& format, std::span<const std::byte> pcm) override {
    formats.push_back(format);
    chunks.emplace_back(pcm.begin(), pcm.end());
    if (during) during(chunks.size());
  }
  std::vector<StreamFormat> formats;
  std::vector<std::vector<std::byte>> chunks;
  std::function<void(std::size_t)> during;
};

std::vector<std::byte> pattern(std::size_t bytes, std::uint32_t seed) {
  std::vector<std::byte> out(bytes);
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& b : out) {
    x = x * 1664525U + 1013904223U;
    b = static_cast<std::byte>(x >> 24);
  }
  return out;
}

TEST(ScreamIvshmem, HeaderFieldsSitWhereTheSpecSays) {
  Region region(2 << 20);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer) << writer.error().message;
  EXPECT_EQ(region.get<std::uint32_t>(0), 0x11112014U);
  EXPECT_EQ(region.get<std::uint16_t>(4), 0U) << "nothing written yet";
  EXPECT_EQ(region.get<std::uint8_t>(6), 24U);
  EXPECT_EQ(region.get<std::uint16_t>(8), (2U << 20) / kChunk) << "the header not subtracted";
  EXPECT_EQ(region.get<std::uint32_t>(12), kChunk);
  EXPECT_EQ(region.get<std::uint8_t>(16), 0x01U);
  EXPECT_EQ(region.get<std::uint8_t>(17), 16U);
  EXPECT_EQ(region.get<std::uint8_t>(18), 2U);
  EXPECT_EQ(region.get<std::uint16_t>(20), 0x3U);
  // decode then encode gives the same 24 bytes back.
  std::array<std::byte, kIvshmemHeaderBytes> raw{};
  std::memcpy(raw.data(), region.data(), raw.size());
  EXPECT_EQ(encode_ivshmem_header(decode_ivshmem_header(raw)), raw);
  EXPECT_EQ(ivshmem_chunk_bytes(StreamFormat{44100, 24, 6, 0x3f}), 18U * 882);
}

TEST(ScreamIvshmem, FirstChunkLandsAtIndexOneAndTheIndexWraps) {
  Region region(24 + 4 * kChunk);  // exactly 4 chunks
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ASSERT_EQ(writer->layout().chunk_count, 4U);
  const auto chunk = pattern(kChunk, 1);
  writer->write(std::span(chunk).first(1000));
  EXPECT_EQ(region.get<std::uint16_t>(4), 0U) << "a chunk is published only when complete";
  writer->write(std::span(chunk).subspan(1000));
  EXPECT_EQ(region.get<std::uint16_t>(4), 1U);
  EXPECT_EQ(std::memcmp(region.data() + 24 + kChunk, chunk.data(), kChunk), 0);
  for (int i = 0; i < 3; ++i) writer->write(chunk);
  EXPECT_EQ(region.get<std::uint16_t>(4), 0U) << "1, 2, 3, then 0";
}

TEST(ScreamIvshmem, WriterToReaderRoundTripIsBitExact) {
  Region region(24 + 16 * kChunk);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  const auto first = reader.poll(got);
  EXPECT_TRUE(first.new_stream);
  EXPECT_EQ(first.chunks, 0U);
  // 100 chunks through a 16-chunk ring, written in odd-sized pieces, read every few chunks.
  const auto stream = pattern(100 * kChunk, 7);
  std::size_t at = 0;
  for (std::size_t piece = 1; at < stream.size(); ++piece) {
    const std::size_t n = std::min(stream.size() - at, piece * 997 % 9000 + 1);
    writer->write(std::span(stream).subspan(at, n));
    at += n;
    reader.poll(got);
  }
  reader.poll(got);
  ASSERT_EQ(got.chunks.size(), 100U);
  for (std::size_t i = 0; i < got.chunks.size(); ++i) {
    ASSERT_TRUE(std::equal(got.chunks[i].begin(), got.chunks[i].end(),
                           stream.begin() + static_cast<std::ptrdiff_t>(i * kChunk)))
        << "chunk " << i;
    EXPECT_EQ(got.formats[i], k48k16Stereo);
  }
  EXPECT_EQ(reader.stats().chunks_skipped, 0U);
  EXPECT_EQ(reader.stats().streams, 1U);
}

TEST(ScreamIvshmem, AttachingMidStreamSkipsWhatIsAlreadyThere) {
  Region region(24 + 16 * kChunk);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  for (int i = 0; i < 5; ++i) writer->write(pattern(kChunk, static_cast<std::uint32_t>(100 + i)));
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  EXPECT_EQ(reader.poll(got).chunks, 0U);
  writer->write(pattern(kChunk, 200));
  writer->write(pattern(kChunk, 201));
  EXPECT_EQ(reader.poll(got).chunks, 2U);
  EXPECT_EQ(got.chunks[0], pattern(kChunk, 200));
  EXPECT_EQ(got.chunks[1], pattern(kChunk, 201));
}

TEST(ScreamIvshmem, StopThenANewStreamStartsFromItsFirstChunk) {
  Region region(24 + 16 * kChunk);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  EXPECT_EQ(reader.poll(got).fault, IvshmemFault::kNoStream) << "an empty region";
  {
    auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
    ASSERT_TRUE(writer);
    writer->write(pattern(kChunk, 1));
    EXPECT_EQ(reader.poll(got).chunks, 1U) << "seen stopped before: read from index 1";
    writer->stop();
  }
  const auto stopped = reader.poll(got);
  EXPECT_EQ(stopped.state, IvshmemState::kWaiting);
  EXPECT_EQ(stopped.fault, IvshmemFault::kNoStream);
  EXPECT_EQ(reader.stats().stops, 1U);
  const StreamFormat other{44100, 24, 2, 0x3};
  auto writer = ScreamIvshmemWriter::start(region.shared(), other);
  ASSERT_TRUE(writer);
  for (int i = 0; i < 3; ++i)
    writer->write(pattern(writer->layout().chunk_bytes, static_cast<std::uint32_t>(10 + i)));
  const auto resumed = reader.poll(got);
  EXPECT_TRUE(resumed.new_stream);
  EXPECT_EQ(resumed.chunks, 3U) << "all of the new stream, from index 1";
  ASSERT_EQ(got.chunks.size(), 4U);
  EXPECT_EQ(got.formats[3], other);
  EXPECT_EQ(got.chunks[1], pattern(writer->layout().chunk_bytes, 10));
}

TEST(ScreamIvshmem, ANewFormatWithoutAStopRestartsFromIndexZero) {
  Region region(24 + 64 * kChunk);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  reader.poll(got);
  writer->write(pattern(kChunk, 1));
  EXPECT_EQ(reader.poll(got).chunks, 1U);
  // The driver re-initialises (header zeroed and rewritten) between two of our polls.
  auto again = ScreamIvshmemWriter::start(region.shared(), StreamFormat{96000, 16, 2, 0x3});
  ASSERT_TRUE(again);
  again->write(pattern(again->layout().chunk_bytes, 2));
  again->write(pattern(again->layout().chunk_bytes, 3));
  const auto poll = reader.poll(got);
  EXPECT_TRUE(poll.new_stream);
  EXPECT_EQ(poll.chunks, 2U);
  EXPECT_EQ(got.chunks.back(), pattern(again->layout().chunk_bytes, 3));
}

TEST(ScreamIvshmem, AReaderFarBehindReadsOnlyTheNewestChunks) {
  Region region(24 + 64 * kChunk);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ScreamIvshmemReader reader(region.shared(), {.max_chunks_per_poll = 8});
  Collector got;
  reader.poll(got);
  for (int i = 0; i < 20; ++i) writer->write(pattern(kChunk, static_cast<std::uint32_t>(i)));
  EXPECT_EQ(reader.poll(got).chunks, 8U);
  EXPECT_EQ(reader.stats().chunks_skipped, 12U);
  EXPECT_EQ(got.chunks.front(), pattern(kChunk, 12));
  EXPECT_EQ(got.chunks.back(), pattern(kChunk, 19));
  EXPECT_EQ(reader.poll(got).chunks, 0U);
}

TEST(ScreamIvshmem, TheLastChunkRunningPastTheRegionIsSkipped) {
  // 4 chunks by the driver's count (the header not subtracted); the 4th ends 14 bytes past.
  Region region(4 * kChunk + 10);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ASSERT_EQ(writer->layout().chunk_count, 4U);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  reader.poll(got);
  for (int i = 1; i <= 5; ++i) {
    writer->write(pattern(kChunk, static_cast<std::uint32_t>(i)));
    reader.poll(got);
  }
  // Indexes 1, 2, 3 (outside), 0, 1.
  ASSERT_EQ(got.chunks.size(), 4U);
  EXPECT_EQ(reader.stats().chunks_outside, 1U);
  EXPECT_EQ(got.chunks[2], pattern(kChunk, 4));
}

// A valid stream, then one field of the header set to `value`.
template <typename T>
IvshmemPoll poll_with(std::size_t offset, T value, std::size_t region_bytes = 24 + 8 * kChunk) {
  Region region(region_bytes);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  EXPECT_TRUE(writer);
  writer->write(pattern(kChunk, 1));
  region.set(offset, value);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  const auto poll = reader.poll(got);
  EXPECT_TRUE(got.chunks.empty());
  return poll;
}

TEST(ScreamIvshmem, HostileHeadersAreRefusedBeforeAnythingIsRead) {
  namespace f = ivshmem_field;
  EXPECT_EQ(poll_with<std::uint16_t>(f::kWriteIndex, 8).fault, IvshmemFault::kBadIndex);
  EXPECT_EQ(poll_with<std::uint16_t>(f::kWriteIndex, 0xffff).fault, IvshmemFault::kBadIndex);
  EXPECT_EQ(poll_with<std::uint16_t>(f::kChunkCount, 0).fault, IvshmemFault::kBadCount);
  EXPECT_EQ(poll_with<std::uint16_t>(f::kChunkCount, 9).fault, IvshmemFault::kBadCount)
      << "9 x 3840 bytes do not fit the region";
  EXPECT_EQ(poll_with<std::uint16_t>(f::kChunkCount, 0xffff).fault, IvshmemFault::kBadCount);
  EXPECT_EQ(poll_with<std::uint32_t>(f::kChunkBytes, 0).fault, IvshmemFault::kBadChunkSize);
  EXPECT_EQ(poll_with<std::uint32_t>(f::kChunkBytes, 0xffffffff).fault,
            IvshmemFault::kBadChunkSize);
  EXPECT_EQ(poll_with<std::uint32_t>(f::kChunkBytes, 0xfffffffc).fault,
            IvshmemFault::kBadChunkSize);
  EXPECT_EQ(poll_with<std::uint32_t>(f::kChunkBytes, 3842).fault, IvshmemFault::kBadChunkSize)
      << "not whole frames";
  // Chunk 0 itself past the end of the region.
  EXPECT_EQ(poll_with<std::uint32_t>(f::kChunkBytes, 8 * kChunk + 4).fault,
            IvshmemFault::kBadChunkSize);
  EXPECT_EQ(poll_with<std::uint8_t>(f::kChunk0Offset, 0).fault, IvshmemFault::kBadOffset);
  EXPECT_EQ(poll_with<std::uint8_t>(f::kChunk0Offset, 23).fault, IvshmemFault::kBadOffset);
  EXPECT_EQ(poll_with<std::uint8_t>(f::kRate, 0x80).fault, IvshmemFault::kBadFormat);
  EXPECT_EQ(poll_with<std::uint8_t>(f::kBits, 20).fault, IvshmemFault::kBadFormat);
  EXPECT_EQ(poll_with<std::uint8_t>(f::kChannels, 0).fault, IvshmemFault::kBadFormat);
  EXPECT_EQ(poll_with<std::uint8_t>(f::kChannels, 9).fault, IvshmemFault::kBadFormat);
  EXPECT_EQ(poll_with<std::uint32_t>(f::kMagic, 0x11112015).fault, IvshmemFault::kNoStream);
}

TEST(ScreamIvshmem, RegionsTooSmallOrMisalignedAreRefused) {
  std::vector<std::uint64_t> words(4);
  auto* base = reinterpret_cast<std::byte*>(words.data());
  Collector got;
  ScreamIvshmemReader small(SharedRegion(base, 20));
  EXPECT_EQ(small.poll(got).fault, IvshmemFault::kBadRegion);
  ScreamIvshmemReader misaligned(SharedRegion(base + 1, 24));
  EXPECT_EQ(misaligned.poll(got).fault, IvshmemFault::kBadRegion);
  EXPECT_FALSE(ScreamIvshmemWriter::start(SharedRegion(base, 32), k48k16Stereo));
  EXPECT_FALSE(ScreamIvshmemWriter::start(SharedRegion(base, 32), StreamFormat{48000, 8, 2, 3}));
}

TEST(ScreamIvshmem, MagicZeroedWhileReadingDiscardsTheChunkInHand) {
  Region region(24 + 16 * kChunk);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  reader.poll(got);
  for (int i = 0; i < 3; ++i) writer->write(pattern(kChunk, static_cast<std::uint32_t>(i)));
  // The guest stops the stream while we hold the first chunk: the second, copied after, is
  // not delivered.
  got.during = [&](std::size_t n) {
    if (n == 1) region.set<std::uint32_t>(0, 0);
  };
  const auto poll = reader.poll(got);
  EXPECT_EQ(poll.chunks, 1U);
  EXPECT_EQ(poll.state, IvshmemState::kWaiting);
  EXPECT_EQ(got.chunks.size(), 1U);
  EXPECT_EQ(reader.stats().chunks_discarded, 1U);
  EXPECT_EQ(reader.stats().stops, 1U);
}

TEST(ScreamIvshmem, GeometryChangedWhileReadingRestartsTheStream) {
  Region region(24 + 16 * kChunk);
  auto writer = ScreamIvshmemWriter::start(region.shared(), k48k16Stereo);
  ASSERT_TRUE(writer);
  ScreamIvshmemReader reader(region.shared());
  Collector got;
  reader.poll(got);
  for (int i = 0; i < 3; ++i) writer->write(pattern(kChunk, static_cast<std::uint32_t>(i)));
  got.during = [&](std::size_t n) {
    if (n == 1) region.set<std::uint16_t>(ivshmem_field::kChunkCount, 15);
  };
  EXPECT_EQ(reader.poll(got).chunks, 1U);
  EXPECT_EQ(reader.stats().chunks_discarded, 1U);
  got.during = nullptr;
  const auto next = reader.poll(got);
  EXPECT_TRUE(next.new_stream) << "a new geometry is a new stream";
  EXPECT_EQ(reader.stats().streams, 2U);
}

TEST(ScreamIvshmem, EveryFaultHasItsOwnName) {
  std::set<std::string_view> names;
  for (std::uint8_t f = 0; f < static_cast<std::uint8_t>(IvshmemFault::kCount); ++f) {
    names.insert(ivshmem_fault_name(static_cast<IvshmemFault>(f)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(IvshmemFault::kCount));
}

}  // namespace
}  // namespace periscope::audio
