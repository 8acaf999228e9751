#pragma once
// A whole PCI option ROM file: where its first real image starts (after an NVGI header or
// other junk), the chain of images from there, and what is wrong with it. `check_rom` reports;
// `trim_rom` cuts the prefix and nothing else (setup-facts.md section 3.4).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "setup/rom_bytes.hpp"
#include "setup/rom_image.hpp"
#include "setup/rom_nvgi.hpp"

namespace periscope::setup {

// The largest file we read: a PCI expansion ROM BAR is at most 16 MiB; dumps add a header.
inline constexpr std::size_t kMaxRomFileBytes = 32 * 1024 * 1024;

struct RomCheckOptions {
  std::optional<std::uint16_t> vendor_id{};  // a mismatch is an error (a ROM for another card)
  std::optional<std::uint16_t> device_id{};  // a mismatch only warns: one VBIOS serves a family
};

enum class RomStartSource {
  kOffsetZero,     // the file starts with a valid image
  kNvgiHeader,     // found through the NVGI header
  kAlignedScan,    // the first valid image on a 512-byte boundary
  kUnalignedScan,  // the last resort: suspicious
};

struct RomFinding {
  enum class Severity { kError, kWarning, kNote };
  Severity severity{Severity::kNote};
  std::size_t offset{0};  // in the file: where the problem is
  std::string message;
};

struct RomReport {
  std::size_t file_bytes{0};
  std::size_t start_offset{0};  // of the first image: the bytes trim removes
  RomStartSource start_source{RomStartSource::kOffsetZero};
  std::optional<NvgiHeader> nvgi;
  std::vector<RomImage> images;  // the chain, as far as it could be followed
  // End of the first image whose PCIR says "last": all host firmware (and the Linux sysfs
  // `rom` file) sees. nullopt when no PCIR says so.
  std::optional<std::size_t> firmware_chain_end;
  std::size_t images_end{0};  // end of the last image followed
  bool has_efi_x64{false};    // OVMF needs it for a boot display (GOP)
  std::vector<RomFinding> findings;

  [[nodiscard]] std::size_t error_count() const;
  [[nodiscard]] std::size_t warning_count() const;
  [[nodiscard]] bool ok() const { return error_count() == 0; }
};

// Finds the first image and walks the chain. Fails only when no valid image is found at all
// (the message says what was wrong at offset 0 and with the NVGI header); every other problem
// (truncation, a broken chain, no last-image flag, a vendor mismatch...) is an error finding.
Result<RomReport> check_rom(RomBytes bytes, const RomCheckOptions& options = {});

struct RomTrimmed {
  RomReport report;
  // Everything from the first image on; a copy, so no view outlives the input.
  std::vector<std::uint8_t> output;
};

// check_rom, then everything from the first image to the end of the file (trailing images and
// bytes are never cut). Refuses, listing the errors, when the report has any.
Result<RomTrimmed> trim_rom(RomBytes bytes, const RomCheckOptions& options = {});

}  // namespace periscope::setup
