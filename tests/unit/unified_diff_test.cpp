// The unified diff shown for each planned file: exact output for small cases, and `patch`
// (GNU patch, the program that reads this format) turning the old text into the new one for
// many generated edits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "setup/unified_diff.hpp"

namespace periscope::setup {
namespace {

TEST(UnifiedDiff, EqualTextsGiveNothing) {
  EXPECT_EQ(unified_diff(std::string("a\nb\n"), "a\nb\n", "/etc/x"), "");
  EXPECT_EQ(unified_diff(std::string(), "", "/etc/x"), "");
}

TEST(UnifiedDiff, NewFile) {
  EXPECT_EQ(unified_diff(std::nullopt, "one\ntwo\n", "/etc/modprobe.d/vfio.conf"),
            "--- /dev/null\n"
            "+++ b/etc/modprobe.d/vfio.conf\n"
            "@@ -0,0 +1,2 @@\n"
            "+one\n"
            "+two\n");
  // An empty new file is a new file too.
  EXPECT_EQ(unified_diff(std::nullopt, "", "/e"), "--- /dev/null\n+++ b/e\n");
}

TEST(UnifiedDiff, OneChangedLineWithThreeLinesOfContext) {
  const std::string old_text = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  const std::string new_text = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff(old_text, new_text, "/f"),
            "--- a/f\n+++ b/f\n"
            "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiff, FarChangesMakeTwoHunksNearOnesOne) {
  std::string old_text;
  for (int i = 1; i <= 20; ++i) old_text += std::to_string(i) + "\n";
  std::string far = old_text;
  far.replace(far.find("2\n"), 2, "two\n");
  far.replace(far.find("19\n"), 3, "nineteen\n");
  EXPECT_EQ(unified_diff(old_text, far, "/f"),
            "--- a/f\n+++ b/f\n"
            "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
            "@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n");
  // Six unchanged lines between two changes: one hunk (3 lines of context each side touch).
  std::string near = old_text;
  near.replace(near.find("2\n"), 2, "two\n");
  near.replace(near.find("9\n"), 2, "nine\n");
  const std::string diff = unified_diff(old_text, near, "/f");
  EXPECT_NE(diff.find("@@ -1,12 +1,12 @@\n"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("@@ -", diff.find("@@ -") + 1), std::string::npos) << diff;
}

TEST(UnifiedDiff, PureInsertionAndDeletion) {
  EXPECT_EQ(unified_diff(std::string("a\nb\n"), "a\nb\nc\n", "/f"),
            "--- a/f\n+++ b/f\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
  EXPECT_EQ(unified_diff(std::string("a\nb\nc\n"), "a\nc\n", "/f"),
            "--- a/f\n+++ b/f\n@@ -1,3 +1,2 @@\n a\n-b\n c\n");
  EXPECT_EQ(unified_diff(std::string("a\n"), "", "/f"), "--- a/f\n+++ b/f\n@@ -1 +0,0 @@\n-a\n");
}

TEST(UnifiedDiff, MissingFinalNewlineIsMarked) {
  EXPECT_EQ(unified_diff(std::string("a\nb"), "a\nb\n", "/f"),
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

// Same as `diff -u` for an unambiguous edit (headers aside).
TEST(UnifiedDiff, MatchesGnuDiff) {
  const std::string dir = ::testing::TempDir() + "diff-gnu-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string old_text =
      "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=Debian\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n# a\n# b\n# c\n# d\n";
  const std::string new_text =
      "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=Debian\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\nGRUB_CMDLINE_LINUX=\"\"\n# a\n# b\n"
      "# c\n# d\n# added\n";
  std::ofstream(dir + "/old") << old_text;
  std::ofstream(dir + "/new") << new_text;
  const std::string command =
      "diff -u " + dir + "/old " + dir + "/new | tail -n +3 > " + dir + "/gnu";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::stringstream gnu;
  gnu << std::ifstream(dir + "/gnu").rdbuf();
  const std::string ours = unified_diff(old_text, new_text, "/f");
  EXPECT_EQ(ours.substr(ours.find("@@")), gnu.str());
  std::filesystem::remove_all(dir);
}

// Random line edits of a random file: patch -p1 must turn the old text into the new one.
TEST(UnifiedDiff, PatchAppliesItForRandomEdits) {
  const std::string dir = ::testing::TempDir() + "diff-patch-" + std::to_string(::getpid());
  std::mt19937 random(1234);
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  for (int round = 0; round < 150; ++round) {
    std::vector<std::string> lines;
    const int count = pick(40);
    for (int i = 0; i < count; ++i) lines.push_back("line " + std::to_string(pick(12)));
    std::vector<std::string> edited = lines;
    for (int e = pick(6); e > 0; --e) {
      const int what = pick(3);
      const auto at = static_cast<std::size_t>(pick(static_cast<int>(edited.size()) + 1));
      if (what == 0 || edited.empty()) {
        edited.insert(edited.begin() + static_cast<std::ptrdiff_t>(at), "new " + std::to_string(e));
      } else if (at < edited.size()) {
        if (what == 1) {
          edited.erase(edited.begin() + static_cast<std::ptrdiff_t>(at));
        } else {
          edited[at] = "changed " + std::to_string(e);
        }
      }
    }
    std::string old_text;
    for (const std::string& l : lines) old_text += l + "\n";
    std::string new_text;
    for (const std::string& l : edited) new_text += l + "\n";
    if (pick(4) == 0 && !old_text.empty()) old_text.pop_back();  // no final newline
    if (pick(4) == 0 && !new_text.empty()) new_text.pop_back();
    const std::string diff = unified_diff(old_text, new_text, "/etc/file.conf");
    if (old_text == new_text) {
      EXPECT_TRUE(diff.empty());
      continue;
    }
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir + "/etc");
    std::ofstream(dir + "/etc/file.conf", std::ios::binary) << old_text;
    std::ofstream(dir + "/patch.diff", std::ios::binary) << diff;
    const std::string command =
        "patch -s -p1 -d " + dir + " < " + dir + "/patch.diff > " + dir + "/patch.log 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "round " << round << ":\n" << diff;
    std::stringstream patched;
    patched << std::ifstream(dir + "/etc/file.conf", std::ios::binary).rdbuf();
    ASSERT_EQ(patched.str(), new_text) << "round " << round << ":\n" << diff;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace periscope::setup
