#pragma once
// Bounds-checked little-endian reads from an untrusted byte buffer: every read says whether
// it fitted, so a hostile length or pointer can never walk us off the end.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace periscope::setup {

using RomBytes = std::span<const std::uint8_t>;

// True when [offset, offset + count) lies inside `bytes` (written to avoid overflow).
inline bool rom_fits(RomBytes bytes, std::size_t offset, std::size_t count) {
  return offset <= bytes.size() && count <= bytes.size() - offset;
}

inline std::optional<std::uint8_t> rom_u8(RomBytes bytes, std::size_t offset) {
  if (!rom_fits(bytes, offset, 1)) return std::nullopt;
  return bytes[offset];
}

inline std::optional<std::uint16_t> rom_u16(RomBytes bytes, std::size_t offset) {
  if (!rom_fits(bytes, offset, 2)) return std::nullopt;
  return static_cast<std::uint16_t>(bytes[offset] | (bytes[offset + 1] << 8));
}

inline std::optional<std::uint32_t> rom_u32(RomBytes bytes, std::size_t offset) {
  if (!rom_fits(bytes, offset, 4)) return std::nullopt;
  return static_cast<std::uint32_t>(bytes[offset]) |
         (static_cast<std::uint32_t>(bytes[offset + 1]) << 8) |
         (static_cast<std::uint32_t>(bytes[offset + 2]) << 16) |
         (static_cast<std::uint32_t>(bytes[offset + 3]) << 24);
}

// A four-character signature ("PCIR", "NPDE"...) as the u32 it reads as.
constexpr std::uint32_t rom_fourcc(const char (&text)[5]) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(text[0])) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(text[1])) << 8) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(text[2])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(text[3])) << 24);
}

}  // namespace periscope::setup
