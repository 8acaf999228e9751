#pragma once
// A MachineReader over files held in memory: the test double for the doctor's parsers and
// checks (and for anything else that reads a machine). Directories exist implicitly as the
// parents of what was added; links are only read, never followed.
#include <map>
#include <string>

#include "setup/machine_reader.hpp"

namespace periscope::setup {

class MemoryMachineReader final : public MachineReader {
 public:
  // Adds (or replaces) a regular file; `info` gives its owner/mode/size (size defaults to the
  // content's length).
  MemoryMachineReader& file(const std::string& path, std::string content);
  MemoryMachineReader& file(const std::string& path, std::string content, PathInfo info);
  MemoryMachineReader& link(const std::string& path, std::string target);
  MemoryMachineReader& dir(const std::string& path);
  // A node of another type (a character device, say) with no content.
  MemoryMachineReader& node(const std::string& path, PathInfo info);
  MemoryMachineReader& remove(const std::string& path);

  [[nodiscard]] Result<std::string> read_file(const std::string& path,
                                              std::size_t max_bytes) const override;
  [[nodiscard]] Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  [[nodiscard]] Result<std::string> read_link(const std::string& path) const override;
  [[nodiscard]] Result<PathInfo> stat(const std::string& path) const override;

 private:
  struct Node {
    PathInfo info;
    std::string content;  // file content or link target
  };
  void add_parents(const std::string& path);

  std::map<std::string, Node> nodes_;
};

}  // namespace periscope::setup
