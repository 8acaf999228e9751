#include "setup/rom_nvgi.hpp"

namespace periscope::setup {

namespace {

constexpr std::uint32_t kNvgi = rom_fourcc("NVGI");
constexpr std::uint32_t kRfrd = rom_fourcc("RFRD");
constexpr std::size_t kDirectoryAfterFlashStatus = 4096;
constexpr std::size_t kMaxPciRomOffset = 1024 * 1024;  // the sanity bound nouveau uses too

}  // namespace

bool has_nvgi_signature(RomBytes bytes) {
  return rom_u32(bytes, 0) == kNvgi;
}

Result<NvgiHeader> parse_nvgi(RomBytes bytes) {
  const auto fixed0 = rom_u32(bytes, 0);
  const auto fixed1 = rom_u32(bytes, 4);
  const auto fixed2 = rom_u32(bytes, 8);
  if (fixed0 != kNvgi || !fixed1 || !fixed2) {
    return fail(ErrorCode::kProtocol, "NVGI header: expected \"NVGI\" and two more words at 0x0");
  }
  NvgiHeader header;
  header.version = static_cast<std::uint8_t>(*fixed1 >> 8);
  header.fixed_data_size = (*fixed1 >> 16) & 0x7FFF;
  header.total_data_size = *fixed2 & 0xFFFFF;
  std::size_t pointer_at = 0;
  if (header.version == 1 || header.version == 2) {
    pointer_at = std::size_t{header.fixed_data_size} + 4;
  } else if (header.version == 3) {
    const auto flash_status = rom_u32(bytes, header.total_data_size);
    if (!flash_status) {
      return fail(ErrorCode::kProtocol,
                  "NVGI header version 3: the flash status word at {:#x} (TOTAL_DATA_SIZE) is "
                  "past the end of the file ({:#x} bytes)",
                  header.total_data_size, bytes.size());
    }
    header.directory_offset = std::size_t{*flash_status} + kDirectoryAfterFlashStatus;
    if (rom_u32(bytes, header.directory_offset) != kRfrd) {
      return fail(ErrorCode::kProtocol,
                  "NVGI header version 3: expected the \"RFRD\" directory at {:#x} (flash status "
                  "{:#x} + 0x1000)",
                  header.directory_offset, *flash_status);
    }
    pointer_at = header.directory_offset + 8;
  } else {
    return fail(ErrorCode::kUnsupported, "NVGI header: version {} is unknown (1, 2 or 3 expected)",
                header.version);
  }
  const auto offset = rom_u32(bytes, pointer_at);
  if (!offset) {
    return fail(ErrorCode::kProtocol,
                "NVGI header version {}: the PCI ROM offset at {:#x} is past the end of the file "
                "({:#x} bytes)",
                header.version, pointer_at, bytes.size());
  }
  header.pci_rom_offset = *offset;
  if (header.pci_rom_offset >= kMaxPciRomOffset || header.pci_rom_offset >= bytes.size()) {
    return fail(ErrorCode::kProtocol,
                "NVGI header version {}: the PCI ROM offset {:#x} (read at {:#x}) is beyond {} "
                "(expected below 1 MiB and inside the file)",
                header.version, header.pci_rom_offset, pointer_at,
                header.pci_rom_offset >= kMaxPciRomOffset ? "1 MiB" : "the end of the file");
  }
  return header;
}

}  // namespace periscope::setup
