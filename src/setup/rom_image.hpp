#pragma once
// One image of a PCI option ROM: the 55AA header, its PCI Data Structure ("PCIR"), NVIDIA's
// PCI Data Extension ("NPDE") when there is one, and the code-type specific header (legacy
// x86 checksum, EFI signature and machine type). Layouts: setup-facts.md section 3.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "setup/rom_bytes.hpp"

namespace periscope::setup {

// PCIR code types (byte 0x14).
inline constexpr std::uint8_t kRomCodeX86 = 0x00;
inline constexpr std::uint8_t kRomCodeOpenFirmware = 0x01;
inline constexpr std::uint8_t kRomCodePaRisc = 0x02;
inline constexpr std::uint8_t kRomCodeEfi = 0x03;
inline constexpr std::uint8_t kRomCodeNvidiaPrivate = 0xE0;  // FWSEC and friends

// EFI machine types (EFI image header 0x0A).
inline constexpr std::uint16_t kEfiMachineX64 = 0x8664;

inline constexpr std::size_t kRomBlockBytes = 512;  // image lengths count these

struct RomEfiHeader {
  bool signature_ok{false};  // EfiSignature == 0x0EF1
  std::uint32_t signature{0};
  std::uint16_t subsystem{0};     // 0x0A application, 0x0B boot-service driver, 0x0C runtime
  std::uint16_t machine_type{0};  // 0x8664 x64, 0xAA64 ARM64, 0x014C IA-32, 0x0EBC EBC
  std::uint16_t compression_type{0};
  std::uint16_t pe_image_offset{0};  // relative to the image start
};

// NVIDIA PCI Data Extension: overrides the PCIR image length and last-image flag, because
// NVIDIA marks the EFI image "last" for host firmware while private images follow it.
struct RomNpde {
  std::size_t offset{0};  // in the file
  std::uint16_t revision{0};
  std::uint16_t length{0};
  std::size_t image_bytes{0};
  bool last{false};
};

struct RomImage {
  std::size_t offset{0};            // of the 55AA, in the file
  std::size_t pcir_offset{0};       // in the file
  std::uint32_t pcir_signature{0};  // "PCIR", or NVIDIA's "NPDS" in chained images
  std::uint16_t vendor_id{0};
  std::uint16_t device_id{0};
  std::uint32_t class_code{0};  // 24 bits: base class, subclass, prog-if (0x030000 = VGA)
  std::uint16_t pcir_length{0};
  std::uint8_t pcir_revision{0};
  std::uint16_t code_revision{0};
  std::uint8_t code_type{0};
  std::size_t pcir_image_bytes{0};  // PCIR length field x 512
  bool pcir_last{false};            // PCIR indicator bit 7: where host firmware stops
  std::optional<RomNpde> npde;
  std::size_t image_bytes{0};  // NPDE's length when present, else PCIR's
  bool last{false};            // NPDE's flag when present, else PCIR's
  // Legacy x86 images: the initialisation size and whether its bytes sum to 0 mod 256
  // (nullopt when the size is 0 or runs past the image or the file).
  std::size_t legacy_init_bytes{0};
  std::optional<bool> legacy_checksum_ok;
  std::optional<RomEfiHeader> efi;  // EFI images only

  [[nodiscard]] std::size_t end() const { return offset + image_bytes; }
  [[nodiscard]] bool is_efi_x64() const {
    return code_type == kRomCodeEfi && efi && efi->signature_ok &&
           efi->machine_type == kEfiMachineX64;
  }
};

struct RomProbeOptions {
  // NVIDIA's images after the first may carry "NPDS" where the PCI spec says "PCIR" (nouveau
  // accepts both). The first image must say "PCIR": that is what host firmware looks for.
  bool accept_npds{false};
};

// Parses the image starting at `offset`. Fails, with a message naming the offset and what was
// expected there, unless there is a 55AA, an in-bounds PCI data structure with a known
// signature and a length of at least 0x18, and a non-zero image length. The image may still
// run past the end of `bytes`: the caller decides what a truncated image means.
Result<RomImage> probe_rom_image(RomBytes bytes, std::size_t offset, RomProbeOptions options = {});

std::string rom_code_type_name(std::uint8_t code_type);
std::string efi_machine_name(std::uint16_t machine_type);
std::string fourcc_text(std::uint32_t fourcc);

}  // namespace periscope::setup
