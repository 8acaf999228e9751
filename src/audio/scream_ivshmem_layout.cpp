#include "audio/scream_ivshmem_layout.hpp"

namespace periscope::audio {

namespace {

std::uint32_t le(std::span<const std::byte, kIvshmemHeaderBytes> bytes, std::size_t at,
                 std::size_t count) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    value |= std::to_integer<std::uint32_t>(bytes[at + i]) << (8 * i);
  }
  return value;
}

void put_le(std::array<std::byte, kIvshmemHeaderBytes>& bytes, std::size_t at, std::uint32_t value,
            std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    bytes[at + i] = static_cast<std::byte>((value >> (8 * i)) & 0xffU);
  }
}

constexpr std::uint32_t kChunksPerSecond = 50;  // a chunk is 20 ms

}  // namespace

IvshmemHeader decode_ivshmem_header(std::span<const std::byte, kIvshmemHeaderBytes> bytes) {
  namespace f = ivshmem_field;
  IvshmemHeader h;
  h.magic = le(bytes, f::kMagic, 4);
  h.write_index = static_cast<std::uint16_t>(le(bytes, f::kWriteIndex, 2));
  h.chunk0_offset = static_cast<std::uint8_t>(le(bytes, f::kChunk0Offset, 1));
  h.chunk_count = static_cast<std::uint16_t>(le(bytes, f::kChunkCount, 2));
  h.chunk_bytes = le(bytes, f::kChunkBytes, 4);
  h.rate_byte = static_cast<std::uint8_t>(le(bytes, f::kRate, 1));
  h.bits = static_cast<std::uint8_t>(le(bytes, f::kBits, 1));
  h.channels = static_cast<std::uint8_t>(le(bytes, f::kChannels, 1));
  h.channel_mask = static_cast<std::uint16_t>(le(bytes, f::kChannelMask, 2));
  return h;
}

std::array<std::byte, kIvshmemHeaderBytes> encode_ivshmem_header(const IvshmemHeader& h) {
  namespace f = ivshmem_field;
  std::array<std::byte, kIvshmemHeaderBytes> bytes{};
  put_le(bytes, f::kMagic, h.magic, 4);
  put_le(bytes, f::kWriteIndex, h.write_index, 2);
  put_le(bytes, f::kChunk0Offset, h.chunk0_offset, 1);
  put_le(bytes, f::kChunkCount, h.chunk_count, 2);
  put_le(bytes, f::kChunkBytes, h.chunk_bytes, 4);
  put_le(bytes, f::kRate, h.rate_byte, 1);
  put_le(bytes, f::kBits, h.bits, 1);
  put_le(bytes, f::kChannels, h.channels, 1);
  put_le(bytes, f::kChannelMask, h.channel_mask, 2);
  return bytes;
}

std::string_view ivshmem_fault_name(IvshmemFault fault) {
  switch (fault) {
    case IvshmemFault::kNone:
      return "none";
    case IvshmemFault::kNoStream:
      return "no stream (magic absent)";
    case IvshmemFault::kBadRegion:
      return "region smaller than the header or misaligned";
    case IvshmemFault::kBadFormat:
      return "invalid rate, bits or channels";
    case IvshmemFault::kBadOffset:
      return "chunk 0 overlaps the header";
    case IvshmemFault::kBadCount:
      return "chunk count 0 or larger than the region";
    case IvshmemFault::kBadIndex:
      return "write index not below the chunk count";
    case IvshmemFault::kBadChunkSize:
      return "chunk size 0, not whole frames, or past the region";
    case IvshmemFault::kCount:
      break;
  }
  return "unknown";
}

tl::expected<IvshmemLayout, IvshmemFault> validate_ivshmem_layout(const IvshmemHeader& h,
                                                                  std::uint64_t region_bytes) {
  if (region_bytes < kIvshmemHeaderBytes) return tl::unexpected(IvshmemFault::kBadRegion);
  const ScreamHeaderBytes udata{std::byte{h.rate_byte}, std::byte{h.bits}, std::byte{h.channels},
                                static_cast<std::byte>(h.channel_mask & 0xff),
                                static_cast<std::byte>(h.channel_mask >> 8)};
  const auto format = parse_header(udata);
  if (!format) return tl::unexpected(IvshmemFault::kBadFormat);
  if (h.chunk0_offset < kIvshmemHeaderBytes) return tl::unexpected(IvshmemFault::kBadOffset);
  if (h.chunk_bytes == 0 || h.chunk_bytes % format->bytes_per_frame() != 0 ||
      std::uint64_t{h.chunk0_offset} + h.chunk_bytes > region_bytes) {
    return tl::unexpected(IvshmemFault::kBadChunkSize);
  }
  if (h.chunk_count == 0 || std::uint64_t{h.chunk_count} * h.chunk_bytes > region_bytes) {
    return tl::unexpected(IvshmemFault::kBadCount);
  }
  return IvshmemLayout{*format, h.chunk0_offset, h.chunk_count, h.chunk_bytes};
}

std::uint32_t ivshmem_chunk_bytes(const StreamFormat& format) {
  if (!is_valid_format(format)) return 0;
  // Every Scream rate is a multiple of 44100 or 48000, so rate / 50 is a whole frame count.
  return format.bytes_per_frame() * (format.rate_hz / kChunksPerSecond);
}

}  // namespace periscope::audio
