#pragma once
// A tree's state as a user would notice it, to prove "rollback left it as it was": each
// entry's kind, permission bits, and bytes (a file) or target (a symlink). The setup state
// directory (var/lib/periscope) is left out unless asked for: it is the record.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace periscope::testing {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

struct Entry {
  char kind;
  unsigned mode;
  std::string content;
  bool operator==(const Entry&) const = default;
};
using Tree = std::map<std::string, Entry>;

inline Tree snapshot(const fs::path& root, bool with_state = false) {
  Tree tree;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string relative = fs::relative(it->path(), root).string();
    if (!with_state && relative.starts_with("var/lib/periscope")) continue;
    struct stat st {};
    EXPECT_EQ(::lstat(it->path().c_str(), &st), 0);
    Entry entry{'?', static_cast<unsigned>(st.st_mode & 07777), {}};
    if (S_ISLNK(st.st_mode)) {
      entry = {'l', 0, fs::read_symlink(it->path()).string()};
    } else if (S_ISDIR(st.st_mode)) {
      entry.kind = 'd';
    } else if (S_ISREG(st.st_mode)) {
      entry.kind = 'f';
      entry.content = read_text(it->path());
    }
    tree[relative] = entry;
  }
  return tree;
}

// Names what differs, so a failure says which file came back wrong.
inline std::string difference(const Tree& before, const Tree& after) {
  std::string out;
  for (const auto& [path, entry] : before) {
    const auto it = after.find(path);
    if (it == after.end()) {
      out += "missing: " + path + "\n";
    } else if (!(it->second == entry)) {
      out += "changed: " + path + "\n";
    }
  }
  for (const auto& [path, entry] : after) {
    if (!before.contains(path)) out += "extra: " + path + "\n";
  }
  return out;
}

}  // namespace periscope::testing
