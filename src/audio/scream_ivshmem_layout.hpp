#pragma once
// The Scream IVSHMEM region (spec section 2): a 24-byte header, then a ring of chunks of 20 ms
// of PCM each. The guest owns the memory, so everything here works on a private copy of the
// header and checks it against the region size before anything is read through it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <tl/expected.hpp>

#include "audio/scream_format.hpp"

namespace periscope::audio {

inline constexpr std::uint32_t kIvshmemMagic = 0x11112014;
inline constexpr std::size_t kIvshmemHeaderBytes = 24;

// Field offsets (natural alignment, as the driver's C struct lays them out).
namespace ivshmem_field {
inline constexpr std::size_t kMagic = 0;
inline constexpr std::size_t kWriteIndex = 4;
inline constexpr std::size_t kChunk0Offset = 6;
inline constexpr std::size_t kChunkCount = 8;
inline constexpr std::size_t kChunkBytes = 12;
inline constexpr std::size_t kRate = 16;
inline constexpr std::size_t kBits = 17;
inline constexpr std::size_t kChannels = 18;
inline constexpr std::size_t kChannelMask = 20;
}  // namespace ivshmem_field

// The header's fields as read, not yet trusted.
struct IvshmemHeader {
  std::uint32_t magic{0};
  std::uint16_t write_index{0};
  std::uint8_t chunk0_offset{0};
  std::uint16_t chunk_count{0};
  std::uint32_t chunk_bytes{0};
  std::uint8_t rate_byte{0};
  std::uint8_t bits{0};
  std::uint8_t channels{0};
  std::uint16_t channel_mask{0};
};

[[nodiscard]] IvshmemHeader decode_ivshmem_header(
    std::span<const std::byte, kIvshmemHeaderBytes> bytes);
[[nodiscard]] std::array<std::byte, kIvshmemHeaderBytes> encode_ivshmem_header(
    const IvshmemHeader& header);

// Why a header was not used. Stable order: readers index counters by it.
enum class IvshmemFault : std::uint8_t {
  kNone,
  kNoStream,      // magic absent: no stream yet, or the driver stopped it (zeroed the header)
  kBadRegion,     // the region is smaller than the header or misaligned
  kBadFormat,     // rate byte, bits or channels break the UDP header's rules
  kBadOffset,     // chunk 0 would overlap the header
  kBadCount,      // no chunks, or more chunks than the region holds (count x size > region)
  kBadIndex,      // write index >= chunk count
  kBadChunkSize,  // 0, not whole frames, or chunk 0 does not fit in the region
  kCount,
};

[[nodiscard]] std::string_view ivshmem_fault_name(IvshmemFault fault);

// A validated geometry: chunk 0 lies inside the region and count x chunk bytes does not exceed
// the region size (the driver's own rule). A later chunk can still run past the end by up to
// the header's size (the driver does not subtract the header): check each chunk.
struct IvshmemLayout {
  StreamFormat format;
  std::uint32_t chunk0_offset{0};
  std::uint32_t chunk_count{0};
  std::uint32_t chunk_bytes{0};

  [[nodiscard]] std::uint64_t chunk_offset(std::uint32_t index) const {
    return chunk0_offset + std::uint64_t{index} * chunk_bytes;
  }
  friend bool operator==(const IvshmemLayout&, const IvshmemLayout&) = default;
};

// Checks everything but the magic and the write index.
[[nodiscard]] tl::expected<IvshmemLayout, IvshmemFault> validate_ivshmem_layout(
    const IvshmemHeader& header, std::uint64_t region_bytes);

// The chunk size the driver uses: 20 ms of audio. 0 for an invalid format.
[[nodiscard]] std::uint32_t ivshmem_chunk_bytes(const StreamFormat& format);

}  // namespace periscope::audio
