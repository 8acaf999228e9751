#pragma once
// NVIDIA's IFR ("NVGI") header: the init-from-ROM data that nvflash, GPU-Z and TechPowerUp
// dumps of Turing and later cards carry before the first PCI image. The card applies the
// offset itself, so QEMU (which exposes the file as the ROM BAR) must get the file without it.
#include <cstddef>
#include <cstdint>

#include "common/result.hpp"
#include "setup/rom_bytes.hpp"

namespace periscope::setup {

struct NvgiHeader {
  std::uint8_t version{0};           // FIXED1 bits 15:8
  std::uint32_t fixed_data_size{0};  // FIXED1 bits 30:16
  std::uint32_t total_data_size{0};  // FIXED2 bits 19:0
  std::size_t directory_offset{0};   // version 3: where "RFRD" was found
  std::size_t pci_rom_offset{0};     // where the first PCI image should start
};

// True when the file starts with "NVGI".
bool has_nvgi_signature(RomBytes bytes);

// Follows the header to the PCI ROM offset: version 1/2 read it after the fixed data, version 3
// through the flash-status word and the "RFRD" directory. Fails (naming the offset and what was
// expected) when a field is out of bounds, the directory is missing, or the offset is 1 MiB or
// more or past the end of the file. It does not check that an image starts there.
Result<NvgiHeader> parse_nvgi(RomBytes bytes);

}  // namespace periscope::setup
