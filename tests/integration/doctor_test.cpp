// The real `periscope doctor` on the captured machines: the JSON scripts rely on, the exit
// statuses, and that it leaves the tree it reads untouched.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

// __FILE__ is <source>/tests/integration/doctor_test.cpp.
std::string fixture(const std::string& name) {
  return (fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "machines" / name).string();
}

// Each fixture's answer: can it pass a GPU through, and which one.
struct Expected {
  const char* name;
  bool can_passthrough;
  std::optional<std::string> gpu;
};

const Expected kExpected[] = {
    {"rtx2060-mobile", true, "0000:01:00.0"},
    {"rtx3070-mobile", true, "0000:01:00.0"},
    {"rtx4070-laptop-intel-igpu", true, "0000:01:00.0"},
    {"gtx1660ti-laptop", true, "0000:01:00.0"},
    {"desktop-clean-group", true, "0000:0b:00.0"},
    {"desktop-dirty-group", false, std::nullopt},
    {"iommu-off", false, "0000:01:00.0"},
    {"single-gpu", false, std::nullopt},
};

bool is_pci_address(const std::string& text) {
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 4 || i == 7 || i == 10) continue;
    if (!std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

TEST(DoctorCommand, JsonOnEveryFixtureHasTheDocumentedShape) {
  for (const Expected& expected : kExpected) {
    SCOPED_TRACE(expected.name);
    const auto r =
        run({bin("periscope"), "doctor", "--root", fixture(expected.name), "--json"}, seconds(30));
    ASSERT_EQ(r.status, 0) << r.output;
    const auto json = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << r.output;
    ASSERT_TRUE(json.is_object());
    ASSERT_EQ(json.size(), 2U) << "only checks and verdict";
    const auto& checks = json.at("checks");
    ASSERT_TRUE(checks.is_array());
    EXPECT_GE(checks.size(), 30U);
    std::set<std::string> ids;
    for (const auto& check : checks) {
      ASSERT_TRUE(check.is_object());
      ASSERT_EQ(check.size(), 4U) << check;
      for (const char* key : {"id", "status", "message", "fix"}) {
        ASSERT_TRUE(check.contains(key) && check.at(key).is_string()) << key << " in " << check;
      }
      const std::string status = check.at("status");
      EXPECT_TRUE(status == "ok" || status == "warn" || status == "fail" || status == "n/a")
          << status;
      EXPECT_TRUE(ids.insert(check.at("id").get<std::string>()).second) << check;
    }
    const auto& verdict = json.at("verdict");
    ASSERT_TRUE(verdict.is_object());
    ASSERT_EQ(verdict.size(), 3U) << verdict;
    ASSERT_TRUE(verdict.at("can_passthrough").is_boolean());
    ASSERT_TRUE(verdict.at("reason").is_string());
    EXPECT_FALSE(verdict.at("reason").get<std::string>().empty());
    EXPECT_EQ(verdict.at("can_passthrough").get<bool>(), expected.can_passthrough);
    if (expected.gpu) {
      ASSERT_TRUE(verdict.at("gpu").is_string()) << verdict;
      EXPECT_TRUE(is_pci_address(verdict.at("gpu"))) << verdict;
      EXPECT_EQ(verdict.at("gpu").get<std::string>(), *expected.gpu);
    } else {
      EXPECT_TRUE(verdict.at("gpu").is_null()) << verdict;
    }
  }
}

TEST(DoctorCommand, TextHasALinePerCheckAndTheVerdict) {
  const auto r =
      run({bin("periscope"), "doctor", "--root", fixture("desktop-dirty-group")}, seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("FAIL  gpu.iommu_group"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-> fix: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("verdict: cannot pass a GPU through yet; gpu: none"), std::string::npos)
      << r.output;
}

TEST(DoctorCommand, BadUsageExitsTwo) {
  EXPECT_EQ(run({bin("periscope"), "doctor", "--bogus"}, seconds(30)).status, 2);
  EXPECT_EQ(run({bin("periscope"), "doctor", "--root"}, seconds(30)).status, 2);
  EXPECT_EQ(run({bin("periscope"), "doctor", "--json=maybe"}, seconds(30)).status, 2);
}

TEST(DoctorCommand, AnUnreadableRootExitsOne) {
  const auto r = run(
      {bin("periscope"), "doctor", "--root", "/nonexistent/periscope-root", "--json"}, seconds(30));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/periscope-root"), std::string::npos) << r.output;
}

// Every entry under a tree with its type, size and modification time.
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0) continue;
    entries[entry.path().string()] = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) +
                                     " " + std::to_string(st.st_mtim.tv_sec) + "." +
                                     std::to_string(st.st_mtim.tv_nsec);
  }
  return entries;
}

TEST(DoctorCommand, LeavesTheTreeItReadsUntouched) {
  const std::string root = fixture("rtx4070-laptop-intel-igpu");
  const auto before = snapshot(root);
  ASSERT_FALSE(before.empty());
  const auto r = run({bin("periscope"), "doctor", "--root", root}, seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(snapshot(root), before);
}

}  // namespace
}  // namespace periscope::testing
