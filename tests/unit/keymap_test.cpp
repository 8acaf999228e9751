#include "input/key_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace periscope::input {
namespace {

TEST(KeyMap, KnownCodes) {
  EXPECT_EQ(qcode_for_evdev(1), "esc");            // KEY_ESC
  EXPECT_EQ(qcode_for_evdev(30), "a");             // KEY_A
  EXPECT_EQ(qcode_for_evdev(28), "ret");           // KEY_ENTER
  EXPECT_EQ(qcode_for_evdev(57), "spc");           // KEY_SPACE
  EXPECT_EQ(qcode_for_evdev(125), "meta_l");       // KEY_LEFTMETA
  EXPECT_EQ(qcode_for_evdev(183), "f13");          // KEY_F13
  EXPECT_EQ(qcode_for_evdev(226), "mediaselect");  // KEY_MEDIA, the last row
}

TEST(KeyMap, UnknownCodes) {
  EXPECT_FALSE(qcode_for_evdev(0));      // KEY_RESERVED
  EXPECT_FALSE(qcode_for_evdev(84));     // a gap in the table
  EXPECT_FALSE(qcode_for_evdev(227));    // past the last row
  EXPECT_FALSE(qcode_for_evdev(0x110));  // BTN_LEFT is a button, not a key
  EXPECT_FALSE(qcode_for_evdev(65535));
}

TEST(KeyMap, EntriesSortedAndEveryOneFound) {
  const auto entries = key_map_entries();
  ASSERT_FALSE(entries.empty());
  for (const KeyMapEntry& entry : entries) {
    EXPECT_EQ(qcode_for_evdev(entry.code), entry.qcode) << entry.code;
    EXPECT_FALSE(entry.qcode.empty()) << entry.code;
  }
}

// The committed table is a copy of the spec's TSV (QEMU's keycode database). The spec lives
// beside the repository (${PROJECT_SOURCE_DIR}/../shared/spec), not in it: skip without it.
std::filesystem::path spec_tsv() {
  if (const char* dir = std::getenv("PERISCOPE_SPEC_DIR")) {
    return std::filesystem::path(dir) / "linux-evdev-to-qemu-qcode.tsv";
  }
  // __FILE__ is <source>/tests/unit/keymap_test.cpp.
  const auto source_dir = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return source_dir / ".." / "shared" / "spec" / "linux-evdev-to-qemu-qcode.tsv";
}

TEST(KeyMap, MatchesSpecTsvRowForRow) {
  const auto path = spec_tsv();
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "no spec table at " << path;
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  ASSERT_EQ(line.rfind("linux_code\t", 0), 0U) << "unexpected header: " << line;
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    unsigned code = 0;
    std::string linux_name;
    std::string qcode;
    ASSERT_TRUE(fields >> code >> linux_name >> qcode) << "bad row: " << line;
    ASSERT_LE(code, 0xFFFFU);
    EXPECT_EQ(qcode_for_evdev(static_cast<std::uint16_t>(code)), qcode) << linux_name;
    ++rows;
  }
  // And nothing beyond the spec: the committed table has exactly its rows.
  EXPECT_EQ(rows, key_map_entries().size());
}

}  // namespace
}  // namespace periscope::input
