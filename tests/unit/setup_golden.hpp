#pragma once
// Golden files for the setup generators and plans: tests/golden/setup/<name>. A test compares
// what the code makes with the file; PERISCOPE_UPDATE_GOLDEN=1 rewrites the files instead
// (then read the git diff by eye: the golden files are the reviewed truth).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace periscope::testing {

inline std::filesystem::path source_tests_dir() {
  // __FILE__ is <source>/tests/unit/setup_golden.hpp.
  return std::filesystem::path(__FILE__).parent_path().parent_path();
}

inline std::string machine_fixture(const std::string& name) {
  return (source_tests_dir() / "fixtures" / "machines" / name).string();
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path = source_tests_dir() / "golden" / "setup" / name;
  const char* update = std::getenv("PERISCOPE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing: run with PERISCOPE_UPDATE_GOLDEN=1 and review it";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "differs from " << path << " (PERISCOPE_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace periscope::testing
