// The option ROM checker on real ROMs that Debian ships for QEMU: iPXE's network boot ROMs
// (legacy + EFI x64) and SeaBIOS's VGA BIOSes (legacy only). Skipped, saying so, when the
// packages (ipxe-qemu, seabios; scripts/install-deps.sh) are missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/file_bytes.hpp"
#include "rom_test_images.hpp"
#include "setup/rom_chain.hpp"
#include "setup/rom_report.hpp"

namespace periscope::setup {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIpxeDir = "/usr/lib/ipxe/qemu";
constexpr const char* kSeabiosDir = "/usr/share/seabios";

std::vector<std::uint8_t> load(const std::string& path) {
  auto bytes = read_file_bytes(path, kMaxRomFileBytes);
  EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().message);
  return bytes ? *bytes : std::vector<std::uint8_t>{};
}

#define REQUIRE_FILE(path)                                                        \
  if (!fs::exists(path)) {                                                        \
    GTEST_SKIP() << (path) << " missing: install Debian's ipxe-qemu and seabios " \
                 << "(scripts/install-deps.sh) to test on real option ROMs";      \
  }

TEST(RomRealImages, IpxeE1000HasLegacyAndEfiX64) {
  const std::string path = std::string(kIpxeDir) + "/efi-e1000.rom";
  REQUIRE_FILE(path);
  const auto rom = load(path);
  auto report = check_rom(rom, {.vendor_id = 0x8086, .device_id = 0x100e});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok()) << rom_report_text(*report);
  EXPECT_EQ(report->warning_count(), 0u) << rom_report_text(*report);
  ASSERT_EQ(report->images.size(), 2u);
  EXPECT_EQ(report->images[0].code_type, kRomCodeX86);
  EXPECT_EQ(report->images[0].legacy_checksum_ok, true);
  EXPECT_EQ(report->images[0].class_code, 0x020000u);  // Ethernet controller
  EXPECT_EQ(report->images[1].code_type, kRomCodeEfi);
  EXPECT_TRUE(report->images[1].is_efi_x64());
  EXPECT_TRUE(report->has_efi_x64);
  EXPECT_EQ(report->firmware_chain_end, rom.size());
  EXPECT_EQ(report->images_end, rom.size());
}

TEST(RomRealImages, SeabiosStdVgaIsLegacyOnly) {
  const std::string path = std::string(kSeabiosDir) + "/vgabios-stdvga.bin";
  REQUIRE_FILE(path);
  const auto rom = load(path);
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok()) << rom_report_text(*report);
  ASSERT_EQ(report->images.size(), 1u);
  EXPECT_EQ(report->images[0].vendor_id, 0x1234);
  EXPECT_EQ(report->images[0].device_id, 0x1111);
  EXPECT_EQ(report->images[0].class_code, 0x030000u);  // VGA
  EXPECT_EQ(report->images[0].legacy_checksum_ok, true);
  EXPECT_TRUE(report->images[0].pcir_last);
  EXPECT_FALSE(report->has_efi_x64);
  EXPECT_NE(rom_report_text(*report).find("EFI x64 image: NO"), std::string::npos);
}

TEST(RomRealImages, EveryShippedRomParsesAndTrimsToItself) {
  std::vector<std::string> paths;
  for (const char* dir : {kIpxeDir, kSeabiosDir}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      // The ISA VGA and ramfb BIOSes serve no PCI device: no PCI data structure (tested below).
      if (name == "vgabios-isavga.bin" || name == "vgabios-ramfb.bin") continue;
      if (name.ends_with(".rom") || name.starts_with("vgabios-")) paths.push_back(entry.path());
    }
  }
  if (paths.empty()) {
    GTEST_SKIP() << "no ROMs in " << kIpxeDir << " or " << kSeabiosDir
                 << ": install Debian's ipxe-qemu and seabios (scripts/install-deps.sh)";
  }
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    const auto rom = load(path);
    auto report = check_rom(rom);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok()) << rom_report_text(*report);
    EXPECT_EQ(report->start_offset, 0u);
    EXPECT_EQ(report->start_source, RomStartSource::kOffsetZero);
    EXPECT_GE(report->images.size(), 1u);
    for (const auto& image : report->images) EXPECT_NE(image.legacy_checksum_ok, false);
    EXPECT_EQ(report->has_efi_x64, path.find("/efi-") != std::string::npos);
    auto trimmed = trim_rom(rom);
    ASSERT_TRUE(trimmed) << trimmed.error().message;
    EXPECT_EQ(trimmed->output.size(), rom.size());
  }
}

TEST(RomRealImages, NonPciVgaBiosesAreRefused) {
  for (const char* name : {"vgabios-isavga.bin", "vgabios-ramfb.bin"}) {
    const std::string path = std::string(kSeabiosDir) + "/" + name;
    REQUIRE_FILE(path);
    auto report = check_rom(load(path));
    ASSERT_FALSE(report) << path;
    EXPECT_NE(
        report.error().message.find("offset 0x0: the PCI data structure pointer (at 0x18) is 0"),
        std::string::npos)
        << report.error().message;
  }
}

TEST(RomRealImages, RealRomBehindADumpHeaderTrimsBackToTheOriginal) {
  const std::string path = std::string(kIpxeDir) + "/efi-virtio.rom";
  REQUIRE_FILE(path);
  const auto rom = load(path);
  for (const auto& prefix :
       {testing::junk(1536), testing::nvgi_v2_header(0x1000), testing::nvgi_v3_header(0x3000)}) {
    const auto dump = testing::concat({prefix, rom});
    auto trimmed = trim_rom(dump, {.vendor_id = 0x1af4});
    ASSERT_TRUE(trimmed) << trimmed.error().message;
    EXPECT_EQ(trimmed->report.start_offset, prefix.size());
    EXPECT_TRUE(std::equal(trimmed->output.begin(), trimmed->output.end(), rom.begin(), rom.end()));
  }
}

}  // namespace
}  // namespace periscope::setup
