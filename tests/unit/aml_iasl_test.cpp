// Our fake-battery AML against the real ACPI compiler (Debian's acpica-tools): iasl disassembles
// it cleanly and recompiles the disassembly to the same bytes, and compiling guide 004's
// battery.dsl gives our bytes. Skipped, saying so, only when iasl is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_bytes.hpp"
#include "common/subprocess.hpp"
#include "setup/aml_battery.hpp"

namespace periscope::setup {
namespace {

namespace fs = std::filesystem;

std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AmlIasl : public ::testing::Test {
 protected:
  void SetUp() override {
    iasl_ = find_in_path("iasl");
    if (iasl_.empty()) {
      GTEST_SKIP() << "iasl not found in PATH: install Debian's acpica-tools "
                      "(scripts/install-deps.sh) to check the AML against the real compiler";
    }
    dir_ = fs::temp_directory_path() / ("periscope-aml-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs iasl with `args` in the temp directory; returns its exit status, output in `log`.
  int iasl(const std::vector<std::string>& args, std::string& log) {
    std::vector<std::string> argv{iasl_};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log_path = (dir_ / "iasl.log").string();
    auto child = Subprocess::spawn(argv, log_path, log_path);
    if (!child) {
      log = child.error().message;
      return 255;
    }
    const auto status = child->wait_for(std::chrono::seconds(30));
    log = read_text(log_path);
    return status ? *status : child->terminate();
  }

  // Compiles `dsl` to `<dir>/<name>.aml` and returns its bytes (empty on failure).
  std::vector<std::uint8_t> compile(const fs::path& dsl, const std::string& name) {
    std::string log;
    const int status = iasl({"-p", (dir_ / name).string(), dsl.string()}, log);
    EXPECT_EQ(status, 0) << log;
    auto bytes = read_file_bytes((dir_ / (name + ".aml")).string(), 1 << 20);
    EXPECT_TRUE(bytes) << (bytes ? "" : bytes.error().message);
    return bytes ? *bytes : std::vector<std::uint8_t>{};
  }

  std::string iasl_;
  fs::path dir_;
};

TEST_F(AmlIasl, DisassemblesOurTableCleanlyAndRecompilesItToTheSameBytes) {
  const auto table = fake_battery_ssdt();
  const fs::path aml = dir_ / "battery.aml";
  ASSERT_TRUE(write_file_atomic(aml.string(), table));
  std::string log;
  ASSERT_EQ(iasl({"-d", aml.string()}, log), 0) << log;
  // iasl -d exits 0 even on a broken table; it says so in warnings instead.
  EXPECT_EQ(log.find("Warning"), std::string::npos) << log;
  EXPECT_EQ(log.find("Error"), std::string::npos) << log;
  const std::string dsl = read_text(dir_ / "battery.dsl");
  for (const char* expected :
       {"DefinitionBlock (\"\", \"SSDT\", 2, \"RedHat\", \"Bat\", 0x00000001)", "Device (ADP1)",
        "Device (BAT0)", "Method (_PSR, 0, NotSerialized)", "Return (One)", "Name (_UID, Zero)",
        "Method (_BIF, 0, NotSerialized)", "\"Virtual\"", "Method (_BST, 0, NotSerialized)"}) {
    EXPECT_NE(dsl.find(expected), std::string::npos) << "missing " << expected << " in\n" << dsl;
  }
  // A disassembly that lost or invented anything would not compile back to our bytes.
  EXPECT_EQ(compile(dir_ / "battery.dsl", "recompiled"), table);
}

TEST_F(AmlIasl, CompilingOurBatteryDslGivesOurBytes) {
  EXPECT_EQ(compile(fs::path(PERISCOPE_TEST_DATA_DIR) / "fake_battery.dsl", "fixture"),
            fake_battery_ssdt());
}

// The guide's own file, straight from ../shared/seeds: the ASL block titled battery.dsl.
TEST_F(AmlIasl, CompilingGuide004BatteryDslGivesOurBytes) {
  const fs::path seed = fs::path(PERISCOPE_SEEDS_DIR) / "004_e0a7627fc01a90d0.txt";
  if (!fs::exists(seed)) {
    GTEST_SKIP() << seed << " not found (the seed guides live in ../shared beside the checkout); "
                 << "CompilingOurBatteryDslGivesOurBytes covers the same table";
  }
  std::stringstream lines(read_text(seed));
  std::string line;
  std::string dsl;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (!inside && line.find("title=\"battery.dsl\"") != std::string::npos) {
      inside = true;
    } else if (inside && line.starts_with("```")) {
      break;
    } else if (inside) {
      dsl += line + "\n";
    }
  }
  ASSERT_FALSE(dsl.empty()) << "no ```c title=\"battery.dsl\" block in " << seed;
  const fs::path path = dir_ / "battery.dsl";
  std::ofstream(path) << dsl;
  EXPECT_EQ(compile(path, "seed"), fake_battery_ssdt());
}

}  // namespace
}  // namespace periscope::setup
