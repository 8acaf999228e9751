#pragma once
// Builds synthetic PCI option ROMs for the ROM tests: legacy, EFI and NVIDIA-style images with
// PCIR and NPDE structures, chains of them, and the NVGI headers dump tools put in front.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace periscope::testing {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::size_t at, std::uint32_t v) {
  b.at(at) = static_cast<std::uint8_t>(v);
  b.at(at + 1) = static_cast<std::uint8_t>(v >> 8);
}

inline void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  put16(b, at, v & 0xFFFF);
  put16(b, at + 2, v >> 16);
}

inline void put_text(Bytes& b, std::size_t at, const char* text) {
  for (std::size_t i = 0; text[i] != '\0'; ++i) b.at(at + i) = static_cast<std::uint8_t>(text[i]);
}

struct ImageSpec {
  std::uint8_t code_type{0};  // 0 x86, 3 EFI, 0xE0 NVIDIA private
  std::uint16_t vendor{0x10de};
  std::uint16_t device{0x2860};
  std::uint32_t class_code{0x030000};  // base class, subclass, prog-if: VGA
  std::size_t blocks{2};               // image length in 512-byte blocks (what the PCIR says)
  bool pcir_last{false};
  const char* pcir_signature{"PCIR"};
  struct Npde {
    std::size_t blocks;
    bool last;
  };
  std::optional<Npde> npde{};
  std::uint16_t efi_machine{0x8664};
  std::size_t pcir_at{0x40};
  bool break_checksum{false};
};

// One image: 55AA header, PCIR at 0x40, NPDE at 0x60 (16-aligned after the 0x18-byte PCIR),
// filler bytes, and for legacy images a checksum byte that makes the init area sum to 0.
inline Bytes make_image(const ImageSpec& spec) {
  const std::size_t bytes = (spec.npde ? spec.npde->blocks : spec.blocks) * 512;
  Bytes b(bytes);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  b[0] = 0x55;
  b[1] = 0xAA;
  if (spec.code_type == 3) {
    put16(b, 0x02, static_cast<std::uint32_t>(spec.blocks));
    put32(b, 0x04, 0x0EF1);
    put16(b, 0x08, 0x0B);  // boot-service driver
    put16(b, 0x0A, spec.efi_machine);
    put16(b, 0x0C, 0);
    put16(b, 0x16, 0x80);
  } else {
    b[0x02] = static_cast<std::uint8_t>(spec.blocks);
  }
  put16(b, 0x18, static_cast<std::uint32_t>(spec.pcir_at));
  const std::size_t p = spec.pcir_at;
  put_text(b, p, spec.pcir_signature);
  put16(b, p + 0x04, spec.vendor);
  put16(b, p + 0x06, spec.device);
  put16(b, p + 0x08, 0);
  put16(b, p + 0x0A, 0x18);
  b[p + 0x0C] = 0;
  b[p + 0x0D] = static_cast<std::uint8_t>(spec.class_code);  // prog-if first: little endian
  b[p + 0x0E] = static_cast<std::uint8_t>(spec.class_code >> 8);
  b[p + 0x0F] = static_cast<std::uint8_t>(spec.class_code >> 16);
  put16(b, p + 0x10, static_cast<std::uint32_t>(spec.blocks));
  put16(b, p + 0x12, 1);
  b[p + 0x14] = spec.code_type;
  b[p + 0x15] = spec.pcir_last ? 0x80 : 0x00;
  put16(b, p + 0x16, 0);
  const std::size_t npde_at = (p + 0x18 + 15) / 16 * 16;
  if (spec.npde) {
    put_text(b, npde_at, "NPDE");
    put16(b, npde_at + 4, 0x0101);
    put16(b, npde_at + 6, 0x0C);
    put16(b, npde_at + 8, static_cast<std::uint32_t>(spec.npde->blocks));
    b[npde_at + 0x0A] = spec.npde->last ? 0x80 : 0x00;
    b[npde_at + 0x0B] = 0;
  } else {
    b[npde_at] = 0;  // the filler must not spell "NPDE" by accident
  }
  if (spec.code_type == 0) {
    const std::size_t init = spec.blocks * 512;
    std::uint8_t sum = 0;
    for (std::size_t i = 0; i + 1 < init && i + 1 < b.size(); ++i) {
      sum = static_cast<std::uint8_t>(sum + b[i]);
    }
    if (init <= b.size()) {
      b[init - 1] = static_cast<std::uint8_t>(0x100 - sum + (spec.break_checksum ? 1 : 0));
    }
  }
  return b;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// legacy (more follow) -> EFI x64 (PCIR last, NPDE: more follow) -> FWSEC 0xE0 (NPDE last):
// how NVIDIA lays out Turing and later VBIOSes.
inline Bytes nvidia_like_chain() {
  return concat({
      make_image({.code_type = 0, .blocks = 2, .pcir_last = false, .npde = {{2, false}}}),
      make_image({.code_type = 3, .blocks = 3, .pcir_last = true, .npde = {{3, false}}}),
      make_image({.code_type = 0xE0,
                  .blocks = 2,
                  .pcir_last = true,
                  .pcir_signature = "NPDS",
                  .npde = {{2, true}}}),
  });
}

// legacy -> EFI x64 (PCIR last), as iPXE and most non-NVIDIA cards ship.
inline Bytes legacy_and_efi_chain() {
  return concat({
      make_image({.code_type = 0, .vendor = 0x1002, .device = 0x73bf, .blocks = 2}),
      make_image(
          {.code_type = 3, .vendor = 0x1002, .device = 0x73bf, .blocks = 3, .pcir_last = true}),
  });
}

// Junk of `bytes` bytes, 0xFF-filled (an erased flash), with a few decoys where asked.
inline Bytes junk(std::size_t bytes) {
  return Bytes(bytes, 0xFF);
}

// NVGI version 1/2: the PCI ROM offset is the u32 at FIXED_DATA_SIZE + 4.
inline Bytes nvgi_v2_header(std::size_t rom_offset) {
  Bytes b(rom_offset, 0);
  put_text(b, 0, "NVGI");
  const std::uint32_t fixed_data_size = 0x100;
  put32(b, 4, (fixed_data_size << 16) | (2u << 8));
  put32(b, 8, 0x400);
  put32(b, fixed_data_size + 4, static_cast<std::uint32_t>(rom_offset));
  return b;
}

// NVGI version 3: TOTAL_DATA_SIZE -> flash status word; + 4096 -> "RFRD"; +8 -> the offset.
inline Bytes nvgi_v3_header(std::size_t rom_offset, bool break_directory = false) {
  Bytes b(rom_offset, 0);
  put_text(b, 0, "NVGI");
  const std::uint32_t total_data_size = 0x200;
  const std::uint32_t flash_status = 0x1000;
  put32(b, 4, (0x80u << 16) | (3u << 8));
  put32(b, 8, total_data_size);
  put32(b, total_data_size, flash_status);
  put_text(b, flash_status + 4096, break_directory ? "RFRX" : "RFRD");
  put32(b, flash_status + 4096 + 8, static_cast<std::uint32_t>(rom_offset));
  return b;
}

}  // namespace periscope::testing
