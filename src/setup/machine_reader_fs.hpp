#pragma once
// The real MachineReader: reads the files under a root directory ("/" for this machine, or a
// captured tree). Symbolic links are resolved by hand inside the root, the way the kernel's
// RESOLVE_IN_ROOT does: an absolute target starts again at the root and ".." stops there, so
// a captured tree cannot send us to the host's own files, and a loop ends with an error.
#include <string>

#include "setup/machine_reader.hpp"

namespace periscope::setup {

class FsMachineReader final : public MachineReader {
 public:
  // Fails when `root` is not a directory we can list.
  [[nodiscard]] static Result<FsMachineReader> open(const std::string& root);

  [[nodiscard]] Result<std::string> read_file(const std::string& path,
                                              std::size_t max_bytes) const override;
  [[nodiscard]] Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  [[nodiscard]] Result<std::string> read_link(const std::string& path) const override;
  [[nodiscard]] Result<PathInfo> stat(const std::string& path) const override;

  [[nodiscard]] const std::string& root() const { return root_; }

 private:
  explicit FsMachineReader(std::string root) : root_(std::move(root)) {}
  // The host path of `path` with every link resolved inside the root (the last component's
  // link too when `follow_last`).
  [[nodiscard]] Result<std::string> resolve(const std::string& path, bool follow_last) const;

  std::string root_;  // without a trailing slash; "" for "/"
};

}  // namespace periscope::setup
