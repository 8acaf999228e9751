#include "setup/rom_image.hpp"

namespace periscope::setup {

namespace {

constexpr std::uint16_t kRomSignature = 0xAA55;  // bytes 55 AA
constexpr std::size_t kHeaderBytes = 0x1A;       // up to and including the PCIR pointer
constexpr std::size_t kPcirPointerAt = 0x18;
constexpr std::size_t kPcirMinBytes = 0x18;
constexpr std::size_t kNpdeMinBytes = 0x0B;  // up to and including the last-image flag
constexpr std::uint32_t kEfiSignature = 0x0EF1;
constexpr std::uint8_t kLastImageBit = 0x80;

constexpr std::uint32_t kPcir = rom_fourcc("PCIR");
constexpr std::uint32_t kNpds = rom_fourcc("NPDS");
constexpr std::uint32_t kNpde = rom_fourcc("NPDE");

std::size_t align_up(std::size_t value, std::size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// The NPDE follows the PCIR, 16-byte aligned relative to the image (the ROM as the card sees
// it starts there; a file prefix need not be a multiple of 16).
std::optional<RomNpde> find_npde(RomBytes bytes, const RomImage& image) {
  const std::size_t at =
      image.offset + align_up(image.pcir_offset - image.offset + image.pcir_length, 16);
  if (!rom_fits(bytes, at, kNpdeMinBytes) || rom_u32(bytes, at) != kNpde) return std::nullopt;
  RomNpde npde;
  npde.offset = at;
  npde.revision = *rom_u16(bytes, at + 4);
  npde.length = *rom_u16(bytes, at + 6);
  npde.image_bytes = std::size_t{*rom_u16(bytes, at + 8)} * kRomBlockBytes;
  npde.last = (*rom_u8(bytes, at + 0x0A) & kLastImageBit) != 0;
  return npde;
}

void read_legacy_checksum(RomBytes bytes, RomImage& image) {
  image.legacy_init_bytes = std::size_t{*rom_u8(bytes, image.offset + 2)} * kRomBlockBytes;
  if (image.legacy_init_bytes == 0 || image.legacy_init_bytes > image.image_bytes ||
      !rom_fits(bytes, image.offset, image.legacy_init_bytes)) {
    return;
  }
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < image.legacy_init_bytes; ++i) {
    sum = static_cast<std::uint8_t>(sum + bytes[image.offset + i]);
  }
  image.legacy_checksum_ok = sum == 0;
}

RomEfiHeader read_efi_header(RomBytes bytes, std::size_t offset) {
  // All of these lie inside the 0x1A header bytes the caller has already bounds-checked.
  RomEfiHeader efi;
  efi.signature = *rom_u32(bytes, offset + 0x04);
  efi.signature_ok = efi.signature == kEfiSignature;
  efi.subsystem = *rom_u16(bytes, offset + 0x08);
  efi.machine_type = *rom_u16(bytes, offset + 0x0A);
  efi.compression_type = *rom_u16(bytes, offset + 0x0C);
  efi.pe_image_offset = *rom_u16(bytes, offset + 0x16);
  return efi;
}

}  // namespace

Result<RomImage> probe_rom_image(RomBytes bytes, std::size_t offset, RomProbeOptions options) {
  if (!rom_fits(bytes, offset, kHeaderBytes)) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: an image header needs {:#x} bytes but the file ends at {:#x}",
                offset, kHeaderBytes, bytes.size());
  }
  if (const auto signature = *rom_u16(bytes, offset); signature != kRomSignature) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: expected the 55 AA signature, found {:02x} {:02x}", offset,
                bytes[offset], bytes[offset + 1]);
  }
  const std::size_t pointer = *rom_u16(bytes, offset + kPcirPointerAt);
  if (pointer == 0) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: the PCI data structure pointer (at {:#x}) is 0", offset,
                offset + kPcirPointerAt);
  }
  RomImage image;
  image.offset = offset;
  image.pcir_offset = offset + pointer;
  if (!rom_fits(bytes, image.pcir_offset, kPcirMinBytes)) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: the PCI data structure pointer {:#x} (at {:#x}) points to {:#x}, "
                "but a {:#x}-byte structure there would run past the end of the file ({:#x} "
                "bytes)",
                offset, pointer, offset + kPcirPointerAt, image.pcir_offset, kPcirMinBytes,
                bytes.size());
  }
  const std::size_t pcir = image.pcir_offset;
  image.pcir_signature = *rom_u32(bytes, pcir);
  if (image.pcir_signature != kPcir && !(options.accept_npds && image.pcir_signature == kNpds)) {
    return fail(ErrorCode::kProtocol, "offset {:#x}: expected \"PCIR\" at {:#x}, found \"{}\"",
                offset, pcir, fourcc_text(image.pcir_signature));
  }
  image.vendor_id = *rom_u16(bytes, pcir + 0x04);
  image.device_id = *rom_u16(bytes, pcir + 0x06);
  image.pcir_length = *rom_u16(bytes, pcir + 0x0A);
  image.pcir_revision = *rom_u8(bytes, pcir + 0x0C);
  image.class_code = static_cast<std::uint32_t>(*rom_u8(bytes, pcir + 0x0D)) |
                     (static_cast<std::uint32_t>(*rom_u8(bytes, pcir + 0x0E)) << 8) |
                     (static_cast<std::uint32_t>(*rom_u8(bytes, pcir + 0x0F)) << 16);
  image.pcir_image_bytes = std::size_t{*rom_u16(bytes, pcir + 0x10)} * kRomBlockBytes;
  image.code_revision = *rom_u16(bytes, pcir + 0x12);
  image.code_type = *rom_u8(bytes, pcir + 0x14);
  image.pcir_last = (*rom_u8(bytes, pcir + 0x15) & kLastImageBit) != 0;
  if (image.pcir_length < kPcirMinBytes) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: the PCI data structure at {:#x} says it is {:#x} bytes long; at "
                "least {:#x} expected",
                offset, pcir, image.pcir_length, kPcirMinBytes);
  }
  if (!rom_fits(bytes, pcir, image.pcir_length)) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: the PCI data structure at {:#x} ({:#x} bytes) runs past the end "
                "of the file ({:#x} bytes)",
                offset, pcir, image.pcir_length, bytes.size());
  }
  image.npde = find_npde(bytes, image);
  image.image_bytes = image.npde ? image.npde->image_bytes : image.pcir_image_bytes;
  image.last = image.npde ? image.npde->last : image.pcir_last;
  if (image.image_bytes == 0) {
    return fail(ErrorCode::kProtocol,
                "offset {:#x}: the image length is 0 (read at {:#x}, in the {})", offset,
                image.npde ? image.npde->offset + 8 : pcir + 0x10,
                image.npde ? "NPDE" : "PCI data structure");
  }
  if (image.code_type == kRomCodeX86) read_legacy_checksum(bytes, image);
  if (image.code_type == kRomCodeEfi) image.efi = read_efi_header(bytes, offset);
  return image;
}

std::string rom_code_type_name(std::uint8_t code_type) {
  switch (code_type) {
    case kRomCodeX86:
      return "x86 PC-AT";
    case kRomCodeOpenFirmware:
      return "Open Firmware";
    case kRomCodePaRisc:
      return "PA-RISC";
    case kRomCodeEfi:
      return "EFI";
    case kRomCodeNvidiaPrivate:
      return "NVIDIA private (FWSEC)";
    default:
      return fmt::format("unknown ({:#04x})", code_type);
  }
}

std::string efi_machine_name(std::uint16_t machine_type) {
  switch (machine_type) {
    case 0x014C:
      return "IA-32";
    case 0x0200:
      return "IA-64";
    case 0x0EBC:
      return "EBC";
    case kEfiMachineX64:
      return "x64";
    case 0xAA64:
      return "ARM64";
    default:
      return fmt::format("unknown ({:#06x})", machine_type);
  }
}

std::string fourcc_text(std::uint32_t fourcc) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<char>(fourcc >> (8 * i));
    // Hostile bytes go to a terminal: print only plain ASCII.
    if (c >= 0x20 && c < 0x7F) {
      text += c;
    } else {
      text += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  return text;
}

}  // namespace periscope::setup
