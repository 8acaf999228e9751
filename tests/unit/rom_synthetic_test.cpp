// The option ROM checker and trimmer on ROMs built here: NVIDIA-style chains with NPDE, NVGI
// headers, junk with decoys, and every way a dump can be broken. Errors must name the offset
// and what was expected; nothing may read out of bounds (run these under the asan preset).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "rom_test_images.hpp"
#include "setup/rom_chain.hpp"
#include "setup/rom_report.hpp"

namespace periscope::setup {
namespace {

using testing::Bytes;
using testing::ImageSpec;
using testing::make_image;
using Severity = RomFinding::Severity;

bool has_finding(const RomReport& report, Severity severity, const std::string& text) {
  return std::any_of(report.findings.begin(), report.findings.end(), [&](const RomFinding& f) {
    return f.severity == severity && f.message.find(text) != std::string::npos;
  });
}

std::string findings_text(const RomReport& report) {
  return rom_report_text(report);
}

Bytes as_vector(RomBytes bytes) {
  return Bytes(bytes.begin(), bytes.end());
}

TEST(RomSynthetic, NvidiaChainFollowsNpdePastThePcirLastImage) {
  const Bytes rom = testing::nvidia_like_chain();
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok()) << findings_text(*report);
  ASSERT_EQ(report->images.size(), 3u) << findings_text(*report);
  EXPECT_EQ(report->images[0].code_type, kRomCodeX86);
  EXPECT_EQ(report->images[1].code_type, kRomCodeEfi);
  EXPECT_EQ(report->images[2].code_type, kRomCodeNvidiaPrivate);
  EXPECT_EQ(report->images[2].offset, 5u * 512);
  ASSERT_TRUE(report->images[1].npde);
  EXPECT_FALSE(report->images[1].npde->last);
  EXPECT_TRUE(report->images[1].pcir_last);
  EXPECT_TRUE(report->images[2].last);
  EXPECT_EQ(report->images[0].legacy_checksum_ok, true);
  EXPECT_TRUE(report->has_efi_x64);
  ASSERT_TRUE(report->firmware_chain_end);
  EXPECT_EQ(*report->firmware_chain_end, 5u * 512);  // host firmware stops after the EFI image
  EXPECT_EQ(report->images_end, rom.size());         // but the private image is part of the ROM
  EXPECT_TRUE(has_finding(*report, Severity::kNote, "trim keeps them"));
  EXPECT_EQ(report->images[0].vendor_id, 0x10de);
  EXPECT_EQ(report->images[0].class_code, 0x030000u);
}

TEST(RomSynthetic, NpdeLengthOverridesThePcirLength) {
  // The PCIR says 1 block; the NPDE says 3. The next image is where the NPDE says.
  const Bytes rom = testing::concat({
      make_image({.code_type = 0, .blocks = 1, .npde = {{3, false}}}),
      make_image({.code_type = 3, .blocks = 2, .pcir_last = true}),
  });
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->images.size(), 2u) << findings_text(*report);
  EXPECT_EQ(report->images[0].pcir_image_bytes, 512u);
  EXPECT_EQ(report->images[0].image_bytes, 3u * 512);
  EXPECT_EQ(report->images[1].offset, 3u * 512);
  EXPECT_TRUE(report->ok()) << findings_text(*report);
}

TEST(RomSynthetic, ClassCodeIsReadProgIfFirst) {
  // Bytes 01 02 03 at PCIR+0x0D: prog-if 01, subclass 02, base class 03 (a 3D controller, as
  // laptop NVIDIA GPUs report, with a made-up prog-if so every byte is checked).
  auto report = check_rom(
      make_image({.code_type = 0, .class_code = 0x030201, .blocks = 1, .pcir_last = true}));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->images[0].class_code, 0x030201u);
}

TEST(RomSynthetic, TwoImageChainLegacyAndEfi) {
  const Bytes rom = testing::legacy_and_efi_chain();
  auto report = check_rom(rom, {.vendor_id = 0x1002, .device_id = 0x73bf});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok()) << findings_text(*report);
  ASSERT_EQ(report->images.size(), 2u);
  EXPECT_EQ(report->start_source, RomStartSource::kOffsetZero);
  EXPECT_FALSE(report->images[0].npde);
  ASSERT_TRUE(report->images[1].efi);
  EXPECT_TRUE(report->images[1].efi->signature_ok);
  EXPECT_EQ(report->images[1].efi->machine_type, kEfiMachineX64);
  EXPECT_TRUE(report->has_efi_x64);
  EXPECT_EQ(report->firmware_chain_end, rom.size());
  EXPECT_EQ(report->warning_count(), 0u) << findings_text(*report);
  auto trimmed = trim_rom(rom);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(as_vector(trimmed->output), rom) << "nothing to strip: the output is the input";
}

TEST(RomSynthetic, NvgiVersion2HeaderIsStripped) {
  const Bytes plain = testing::nvidia_like_chain();
  const Bytes rom = testing::concat({testing::nvgi_v2_header(0x1000), plain});
  auto trimmed = trim_rom(rom, {.vendor_id = 0x10de});
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->report.start_source, RomStartSource::kNvgiHeader);
  ASSERT_TRUE(trimmed->report.nvgi);
  EXPECT_EQ(trimmed->report.nvgi->version, 2);
  EXPECT_EQ(trimmed->report.start_offset, 0x1000u);
  EXPECT_EQ(as_vector(trimmed->output), plain);
}

TEST(RomSynthetic, NvgiVersion3HeaderIsFollowedThroughTheRfrdDirectory) {
  const Bytes plain = testing::nvidia_like_chain();
  const Bytes rom = testing::concat({testing::nvgi_v3_header(0x3000), plain});
  auto trimmed = trim_rom(rom);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->report.start_source, RomStartSource::kNvgiHeader);
  EXPECT_EQ(trimmed->report.nvgi->version, 3);
  EXPECT_EQ(trimmed->report.nvgi->directory_offset, 0x2000u);
  EXPECT_EQ(as_vector(trimmed->output), plain);
}

TEST(RomSynthetic, BrokenNvgiDirectoryFallsBackToTheAlignedScan) {
  const Bytes plain = testing::nvidia_like_chain();
  const Bytes rom = testing::concat({testing::nvgi_v3_header(0x3000, true), plain});
  auto trimmed = trim_rom(rom);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->report.start_source, RomStartSource::kAlignedScan);
  EXPECT_TRUE(has_finding(trimmed->report, Severity::kWarning, "\"RFRD\" directory at 0x2000"))
      << findings_text(trimmed->report);
  EXPECT_EQ(as_vector(trimmed->output), plain);
}

TEST(RomSynthetic, NvgiOffsetToNowhereFallsBackToTheScan) {
  Bytes header = testing::nvgi_v2_header(0x1000);
  testing::put32(header, 0x104, 0x800);  // points inside the header, where there is no image
  const Bytes plain = testing::nvidia_like_chain();
  auto report = check_rom(testing::concat({header, plain}));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->start_offset, 0x1000u);
  EXPECT_TRUE(has_finding(*report, Severity::kWarning, "points to 0x800, but offset 0x800"))
      << findings_text(*report);
}

TEST(RomSynthetic, JunkWithADecoy55AAIsSkipped) {
  Bytes prefix = testing::junk(0x600);
  prefix[0x101] = 0x55;  // an unaligned decoy
  prefix[0x102] = 0xAA;
  prefix[0x200] = 0x55;  // an aligned decoy whose PCIR pointer leads to junk
  prefix[0x201] = 0xAA;
  const Bytes plain = testing::nvidia_like_chain();
  auto trimmed = trim_rom(testing::concat({prefix, plain}));
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->report.start_source, RomStartSource::kAlignedScan);
  EXPECT_EQ(trimmed->report.start_offset, 0x600u);
  EXPECT_TRUE(has_finding(trimmed->report, Severity::kNote, "0x600 bytes before the first image"));
  EXPECT_EQ(as_vector(trimmed->output), plain);
}

TEST(RomSynthetic, UnalignedStartIsFlaggedSuspicious) {
  const Bytes plain = testing::legacy_and_efi_chain();
  auto trimmed = trim_rom(testing::concat({testing::junk(0x123), plain}));
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->report.start_source, RomStartSource::kUnalignedScan);
  EXPECT_EQ(trimmed->report.start_offset, 0x123u);
  EXPECT_TRUE(has_finding(trimmed->report, Severity::kWarning, "suspicious"));
  EXPECT_EQ(as_vector(trimmed->output), plain);
}

TEST(RomSynthetic, TrailingBytesAreKept) {
  const Bytes plain = testing::legacy_and_efi_chain();
  const Bytes rom = testing::concat({testing::junk(0x200), plain, testing::junk(0x300)});
  auto trimmed = trim_rom(rom);
  ASSERT_TRUE(trimmed) << trimmed.error().message;
  EXPECT_EQ(trimmed->output.size(), plain.size() + 0x300);
  EXPECT_TRUE(has_finding(trimmed->report, Severity::kNote, "0x300 bytes follow the last image"));
}

TEST(RomSynthetic, TruncatedImageIsAnErrorAndTrimRefuses) {
  const Bytes plain = testing::nvidia_like_chain();
  const Bytes rom(plain.begin(), plain.begin() + 5 * 512 + 700);  // cut inside the FWSEC image
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->ok());
  EXPECT_TRUE(has_finding(*report, Severity::kError,
                          "image 2 at 0xa00 is 0x400 bytes long and would end at 0xe00, but the "
                          "file ends at 0xcbc"))
      << findings_text(*report);
  auto trimmed = trim_rom(rom);
  ASSERT_FALSE(trimmed);
  EXPECT_NE(trimmed.error().message.find("refusing to trim"), std::string::npos);
  EXPECT_NE(trimmed.error().message.find("truncated"), std::string::npos);
}

TEST(RomSynthetic, TruncatedHeaderIsRefusedWithTheOffset) {
  const Bytes plain = testing::legacy_and_efi_chain();
  auto report = check_rom(Bytes(plain.begin(), plain.begin() + 0x10));
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("offset 0x0: an image header needs 0x1a bytes but the "
                                        "file ends at 0x10"),
            std::string::npos)
      << report.error().message;
}

TEST(RomSynthetic, PcirPointerPastTheEndIsRefused) {
  Bytes rom = make_image({.code_type = 0, .blocks = 1, .pcir_last = true});
  testing::put16(rom, 0x18, 0x1F0);  // 0x1F0 + 0x18 > 0x200
  auto report = check_rom(rom);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("pointer 0x1f0 (at 0x18) points to 0x1f0, but a 0x18-byte "
                                        "structure there would run past the end of the file"),
            std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().message.find("no 55AA with a valid PCI data structure"),
            std::string::npos);
}

TEST(RomSynthetic, PcirPointerPastTheEndOfALaterImageIsAnError) {
  Bytes second = make_image({.code_type = 3, .blocks = 1, .pcir_last = true});
  testing::put16(second, 0x18, 0xFFFF);
  const Bytes rom = testing::concat({make_image({.code_type = 0, .blocks = 1}), second});
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(has_finding(*report, Severity::kError, "image 0 at 0x0 is not marked last"))
      << findings_text(*report);
  EXPECT_TRUE(has_finding(*report, Severity::kError, "pointer 0xffff (at 0x218)"))
      << findings_text(*report);
}

TEST(RomSynthetic, ZeroImageLengthIsRefused) {
  Bytes rom = make_image({.code_type = 0, .blocks = 1, .pcir_last = true});
  testing::put16(rom, 0x40 + 0x10, 0);
  auto report = check_rom(rom);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find(
                "offset 0x0: the image length is 0 (read at 0x50, in the PCI data structure)"),
            std::string::npos)
      << report.error().message;
}

TEST(RomSynthetic, ZeroNpdeLengthInALaterImageIsAnError) {
  Bytes second = make_image({.code_type = 3, .blocks = 1, .pcir_last = true, .npde = {{1, true}}});
  testing::put16(second, 0x60 + 8, 0);
  const Bytes rom = testing::concat({make_image({.code_type = 0, .blocks = 1}), second});
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(
      has_finding(*report, Severity::kError, "the image length is 0 (read at 0x268, in the NPDE)"))
      << findings_text(*report);
}

TEST(RomSynthetic, ChainWithoutALastImageFlagIsAnError) {
  const Bytes rom = testing::concat({
      make_image({.code_type = 0, .blocks = 1}),
      make_image({.code_type = 3, .blocks = 1, .pcir_last = false}),
  });
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(has_finding(*report, Severity::kError,
                          "no image is marked last: image 1 at 0x200 says more follow"))
      << findings_text(*report);
  EXPECT_FALSE(report->firmware_chain_end);
  EXPECT_FALSE(trim_rom(rom));
}

TEST(RomSynthetic, GarbageAfterAnImageThatIsNotLastIsAnError) {
  const Bytes rom =
      testing::concat({make_image({.code_type = 0, .blocks = 1}), testing::junk(1024)});
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(has_finding(*report, Severity::kError,
                          "image 0 at 0x0 is not marked last, but no image follows it: offset "
                          "0x200: expected the 55 AA signature, found ff ff"))
      << findings_text(*report);
}

TEST(RomSynthetic, VendorMismatchIsRefusedDeviceMismatchOnlyWarns) {
  const Bytes rom = testing::nvidia_like_chain();
  auto wrong_vendor = trim_rom(rom, {.vendor_id = 0x1002});
  ASSERT_FALSE(wrong_vendor);
  EXPECT_NE(wrong_vendor.error().message.find("vendor 10de is not the expected 1002"),
            std::string::npos)
      << wrong_vendor.error().message;
  auto wrong_device = trim_rom(rom, {.vendor_id = 0x10de, .device_id = 0x1234});
  ASSERT_TRUE(wrong_device) << wrong_device.error().message;
  EXPECT_TRUE(has_finding(wrong_device->report, Severity::kWarning,
                          "device 2860 is not the "
                          "expected 1234"));
}

TEST(RomSynthetic, BadLegacyChecksumWarns) {
  const Bytes rom =
      make_image({.code_type = 0, .blocks = 1, .pcir_last = true, .break_checksum = true});
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->images[0].legacy_checksum_ok, false);
  EXPECT_TRUE(has_finding(*report, Severity::kWarning, "legacy checksum"));
  EXPECT_TRUE(report->ok());
}

TEST(RomSynthetic, Arm64EfiImageIsNotX64) {
  const Bytes rom = testing::concat({
      make_image({.code_type = 0, .blocks = 1}),
      make_image({.code_type = 3, .blocks = 1, .pcir_last = true, .efi_machine = 0xAA64}),
  });
  auto report = check_rom(rom);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->has_efi_x64);
  EXPECT_TRUE(has_finding(*report, Severity::kWarning, "no EFI x64 image"));
  EXPECT_NE(rom_report_text(*report).find("EFI ARM64"), std::string::npos);
}

TEST(RomSynthetic, FirstImageMustSayPcirNotNpds) {
  const Bytes rom =
      make_image({.code_type = 0, .blocks = 1, .pcir_last = true, .pcir_signature = "NPDS"});
  auto report = check_rom(rom);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("expected \"PCIR\" at 0x40, found \"NPDS\""),
            std::string::npos)
      << report.error().message;
}

TEST(RomSynthetic, EmptyAndTinyFilesAreRefused) {
  EXPECT_FALSE(check_rom(Bytes{}));
  EXPECT_FALSE(check_rom(Bytes{0x55}));
  EXPECT_FALSE(check_rom(Bytes{0x55, 0xAA}));
  EXPECT_FALSE(check_rom(Bytes{'N', 'V', 'G', 'I'}));
}

TEST(RomSynthetic, HostileNvgiFieldsNeverReadOutOfBounds) {
  Bytes header(64, 0);
  testing::put_text(header, 0, "NVGI");
  for (const std::uint32_t fixed1 : {0x00000200u, 0x7FFF0200u, 0x00000300u, 0xFFFFFF00u}) {
    for (const std::uint32_t fixed2 : {0u, 60u, 61u, 0xFFFFFu}) {
      testing::put32(header, 4, fixed1);
      testing::put32(header, 8, fixed2);
      EXPECT_FALSE(check_rom(header));
    }
  }
}

// Every prefix of a valid ROM, and seeded random corruptions: never a crash or an out-of-bounds
// read (asan), and a shortened ROM never passes as complete.
TEST(RomSynthetic, EveryTruncationAndCorruptionIsHandled) {
  const Bytes plain =
      testing::concat({testing::nvgi_v2_header(0x1000), testing::nvidia_like_chain()});
  for (std::size_t size = 0; size < plain.size(); ++size) {
    const Bytes cut(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(size));
    auto report = check_rom(cut);
    EXPECT_TRUE(!report || !report->ok()) << "a ROM cut to " << size << " bytes passed";
  }
  std::mt19937 random(1234);
  for (int round = 0; round < 3000; ++round) {
    Bytes mutated = plain;
    const int flips = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < flips; ++i) {
      // Aim most flips at the headers, where the pointers and lengths are.
      const std::size_t region = random() % 2 == 0 ? 0x120 : mutated.size();
      const std::size_t base = random() % 2 == 0 ? 0 : 0x1000 + (random() % 6) * 512;
      const std::size_t at = std::min(base + random() % region, mutated.size() - 1);
      mutated[at] = static_cast<std::uint8_t>(random());
    }
    auto report = check_rom(mutated);
    if (report) {
      EXPECT_LE(report->images_end, mutated.size());
      EXPECT_LT(report->start_offset, mutated.size());
      (void)rom_report_text(*report);
      (void)rom_report_json(*report).dump();
    }
  }
}

TEST(RomReport, JsonListsImagesFindingsAndIds) {
  const Bytes rom = testing::concat({testing::junk(0x400), testing::nvidia_like_chain()});
  auto report = check_rom(rom, {.vendor_id = 0x10de});
  ASSERT_TRUE(report) << report.error().message;
  const auto json = rom_report_json(*report);
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["start_offset"], 0x400);
  EXPECT_EQ(json["start_source"], "aligned-scan");
  EXPECT_EQ(json["efi_x64_present"], true);
  ASSERT_EQ(json["images"].size(), 3u);
  EXPECT_EQ(json["images"][0]["vendor_id"], "10de");
  EXPECT_EQ(json["images"][0]["legacy_checksum_ok"], true);
  EXPECT_EQ(json["images"][1]["efi"]["machine"], "x64");
  EXPECT_EQ(json["images"][1]["npde"]["last"], false);
  EXPECT_EQ(json["images"][2]["code_type"], 0xE0);
  EXPECT_EQ(json["firmware_chain_end"], 0x400 + 5 * 512);
  EXPECT_EQ(json["images_end"], rom.size());
  ASSERT_FALSE(json["findings"].empty());
  EXPECT_EQ(json["findings"][0]["severity"], "note");
}

TEST(RomReport, TextNamesEveryImageAndTheVerdict) {
  auto report = check_rom(testing::nvidia_like_chain());
  ASSERT_TRUE(report);
  const std::string text = rom_report_text(*report);
  EXPECT_NE(text.find("image 0 at 0x000000: x86 PC-AT, 10de:2860 class 030000, 0x400 bytes, "
                      "checksum ok, NPDE"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("image 1 at 0x000400: EFI x64"), std::string::npos) << text;
  EXPECT_NE(text.find("NVIDIA private (FWSEC)"), std::string::npos) << text;
  EXPECT_NE(text.find("EFI x64 image: yes"), std::string::npos) << text;
  EXPECT_NE(text.find("OK (0 warnings)"), std::string::npos) << text;
}

}  // namespace
}  // namespace periscope::setup
