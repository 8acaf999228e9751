// The setup tools through the real `periscope` binary: `acpi battery`, `rom check|trim`,
// `shm-size`. Exit codes: 0 done, 1 the file is bad or cannot be read/written, 2 bad usage.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kRealRom = "/usr/lib/ipxe/qemu/efi-e1000.rom";

RunResult periscope(std::vector<std::string> args) {
  args.insert(args.begin(), bin("periscope"));
  return run(args, seconds(30));
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

#define REQUIRE_REAL_ROM()                                              \
  if (!std::filesystem::exists(kRealRom)) {                             \
    GTEST_SKIP() << kRealRom << " missing: install Debian's ipxe-qemu " \
                 << "(scripts/install-deps.sh)";                        \
  }

TEST(SetupTools, AcpiBatteryWritesTheTable) {
  TempPath out("battery.aml", "/tmp");
  const auto r = periscope({"acpi", "battery", "--out", out.str()});
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string table = read_file(out.str());
  ASSERT_EQ(table.size(), 221u);
  EXPECT_EQ(table.substr(0, 4), "SSDT");
  EXPECT_NE(r.output.find("-acpitable"), std::string::npos) << r.output;
  EXPECT_EQ(std::filesystem::status(out.str()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0644));
}

TEST(SetupTools, AcpiBatteryReportsAnUnwritablePath) {
  const auto r = periscope({"acpi", "battery", "--out", "/nonexistent-dir/battery.aml"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("/nonexistent-dir/battery.aml"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("No such file or directory"), std::string::npos) << r.output;
}

TEST(SetupTools, AcpiBatteryNeedsOut) {
  const auto r = periscope({"acpi", "battery"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--out"), std::string::npos) << r.output;
}

TEST(SetupTools, RomCheckOnARealRom) {
  REQUIRE_REAL_ROM();
  const auto r = periscope({"rom", "check", kRealRom, "--vendor", "8086"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("image 1 at 0x012600: EFI x64"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("EFI x64 image: yes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("OK (0 warnings)"), std::string::npos) << r.output;
}

TEST(SetupTools, RomCheckJson) {
  REQUIRE_REAL_ROM();
  TempPath json_out("rom.json", "/tmp");
  const auto r = run({"/bin/sh", "-c",
                      bin("periscope") + " rom check --json " + kRealRom + " > " + json_out.str()},
                     seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto json = read_json(json_out.str());
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["efi_x64_present"], true);
  ASSERT_EQ(json["images"].size(), 2u);
  EXPECT_EQ(json["images"][0]["vendor_id"], "8086");
}

TEST(SetupTools, RomCheckVendorMismatchFails) {
  REQUIRE_REAL_ROM();
  const auto r = periscope({"rom", "check", kRealRom, "--vendor", "10de"});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("vendor 8086 is not the expected 10de"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FAILED: 2 errors"), std::string::npos) << r.output;
}

TEST(SetupTools, RomCheckRefusesABadVendorArgument) {
  const auto r = periscope({"rom", "check", "/dev/null", "--vendor", "nvidia"});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("bad --vendor 'nvidia': expected 4 hex digits"), std::string::npos)
      << r.output;
}

TEST(SetupTools, RomCheckMissingFile) {
  const auto r = periscope({"rom", "check", "/nonexistent/vbios.rom"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("open /nonexistent/vbios.rom: No such file or directory"),
            std::string::npos)
      << r.output;
}

TEST(SetupTools, RomCheckGarbageFile) {
  TempPath garbage("garbage.rom", "/tmp");
  write_bytes(garbage.str(), std::string(4096, 'x'));
  const auto r = periscope({"rom", "check", garbage.str()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find(garbage.str() + ": no PCI option ROM image found in the file (4096 "
                                          "bytes): offset 0x0: expected the 55 AA signature, "
                                          "found 78 78"),
            std::string::npos)
      << r.output;
  TempPath json_out("garbage.json", "/tmp");
  const auto j =
      run({"/bin/sh", "-c",
           bin("periscope") + " rom check --json " + garbage.str() + " > " + json_out.str()},
          seconds(30));
  EXPECT_EQ(j.status, 1);
  const auto json = read_json(json_out.str());
  EXPECT_EQ(json["ok"], false);
  EXPECT_NE(json["error"].get<std::string>().find("no PCI option ROM image"), std::string::npos);
}

TEST(SetupTools, RomTrimStripsAPrefixAndLeavesTheInputAlone) {
  REQUIRE_REAL_ROM();
  const std::string rom = read_file(kRealRom);
  TempPath dump("dump.rom", "/tmp");
  TempPath out("trimmed.rom", "/tmp");
  const std::string dumped = std::string(1536, '\xff') + rom;
  write_bytes(dump.str(), dumped);
  const auto r = periscope({"rom", "trim", dump.str(), "--out", out.str(), "--vendor", "8086"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("removed 0x600 bytes before the first image"), std::string::npos)
      << r.output;
  EXPECT_EQ(read_file(out.str()), rom);
  EXPECT_EQ(read_file(dump.str()), dumped);
}

TEST(SetupTools, RomTrimNeverOverwritesItsInput) {
  REQUIRE_REAL_ROM();
  TempPath dump("self.rom", "/tmp");
  const std::string dumped = std::string(512, '\0') + read_file(kRealRom);
  write_bytes(dump.str(), dumped);
  TempPath link("self-link.rom", "/tmp");
  std::filesystem::create_symlink(dump.str(), link.str());
  for (const auto& out : {dump.str(), link.str()}) {
    const auto r = periscope({"rom", "trim", dump.str(), "--out", out});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("is the input file"), std::string::npos) << r.output;
  }
  EXPECT_EQ(read_file(dump.str()), dumped);
}

TEST(SetupTools, RomTrimRefusesGarbageAndWritesNothing) {
  TempPath garbage("garbage-trim.rom", "/tmp");
  TempPath out("garbage-out.rom", "/tmp");
  write_bytes(garbage.str(), std::string(2048, '\x55'));
  const auto r = periscope({"rom", "trim", garbage.str(), "--out", out.str()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("no PCI option ROM image found"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out.str()));
}

TEST(SetupTools, RomTrimRefusesATruncatedRom) {
  REQUIRE_REAL_ROM();
  const std::string rom = read_file(kRealRom);
  TempPath cut("cut.rom", "/tmp");
  TempPath out("cut-out.rom", "/tmp");
  write_bytes(cut.str(), rom.substr(0, rom.size() - 4096));
  const auto r = periscope({"rom", "trim", cut.str(), "--out", out.str()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("refusing to trim a ROM with errors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out.str()));
}

TEST(SetupTools, ShmSizeText) {
  const auto r = periscope({"shm-size", "2560x1440"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("2560x1440 SDR: 64 MiB (67108864 bytes)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("options kvmfr static_size_mb=64"), std::string::npos) << r.output;
}

TEST(SetupTools, ShmSizeHdrJson) {
  TempPath json_out("shm.json", "/tmp");
  const auto r = run(
      {"/bin/sh", "-c", bin("periscope") + " shm-size 3840x2160 --hdr --json > " + json_out.str()},
      seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto json = read_json(json_out.str());
  EXPECT_EQ(json["region_bytes"], 256u * 1024 * 1024);
  EXPECT_EQ(json["kvmfr_static_size_mb"], 256);
  EXPECT_EQ(json["hdr"], true);
}

TEST(SetupTools, ShmSizeRefusesABadResolution) {
  const auto r = periscope({"shm-size", "1920by1080"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("bad size '1920by1080'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace periscope::testing
