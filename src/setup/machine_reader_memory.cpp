#include "setup/machine_reader_memory.hpp"

#include <cerrno>

namespace periscope::setup {

namespace {

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void MemoryMachineReader::add_parents(const std::string& path) {
  for (std::string parent = parent_of(path); parent != "/"; parent = parent_of(parent)) {
    nodes_[parent].info.type = FileType::kDirectory;
  }
}

MemoryMachineReader& MemoryMachineReader::file(const std::string& path, std::string content) {
  PathInfo info;
  info.type = FileType::kRegular;
  info.size = content.size();
  info.mode = 0644;
  return file(path, std::move(content), info);
}

MemoryMachineReader& MemoryMachineReader::file(const std::string& path, std::string content,
                                               PathInfo info) {
  add_parents(path);
  info.type = FileType::kRegular;
  nodes_[path] = Node{info, std::move(content)};
  return *this;
}

MemoryMachineReader& MemoryMachineReader::link(const std::string& path, std::string target) {
  add_parents(path);
  PathInfo info;
  info.type = FileType::kSymlink;
  nodes_[path] = Node{info, std::move(target)};
  return *this;
}

MemoryMachineReader& MemoryMachineReader::dir(const std::string& path) {
  add_parents(path);
  nodes_[path].info.type = FileType::kDirectory;
  return *this;
}

MemoryMachineReader& MemoryMachineReader::node(const std::string& path, PathInfo info) {
  add_parents(path);
  nodes_[path] = Node{info, {}};
  return *this;
}

MemoryMachineReader& MemoryMachineReader::remove(const std::string& path) {
  const std::string prefix = path + "/";
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    const bool below = it->first.compare(0, prefix.size(), prefix) == 0;
    it = (it->first == path || below) ? nodes_.erase(it) : std::next(it);
  }
  return *this;
}

Result<std::string> MemoryMachineReader::read_file(const std::string& path,
                                                   std::size_t max_bytes) const {
  const auto it = nodes_.find(path);
  if (it == nodes_.end()) return fail_errno(ENOENT, path);
  if (it->second.info.type != FileType::kRegular) {
    return fail(ErrorCode::kUnsupported, "{}: not a regular file", path);
  }
  return it->second.content.substr(0, max_bytes);
}

Result<std::vector<std::string>> MemoryMachineReader::list_dir(const std::string& path) const {
  auto info = stat(path);
  if (!info) return tl::unexpected(info.error());
  if (info->type != FileType::kDirectory) return fail_errno(ENOTDIR, path);
  const std::string prefix = path == "/" ? "/" : path + "/";
  std::vector<std::string> names;  // std::map keeps them sorted
  for (auto child = nodes_.lower_bound(prefix); child != nodes_.end(); ++child) {
    if (child->first.compare(0, prefix.size(), prefix) != 0) break;
    const std::string rest = child->first.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string::npos) names.push_back(rest);
    if (names.size() == kMaxDirEntries) break;
  }
  return names;
}

Result<std::string> MemoryMachineReader::read_link(const std::string& path) const {
  const auto it = nodes_.find(path);
  if (it == nodes_.end()) return fail_errno(ENOENT, path);
  if (it->second.info.type != FileType::kSymlink) {
    return fail(ErrorCode::kInvalidArgument, "{}: not a symbolic link", path);
  }
  return it->second.content;
}

Result<PathInfo> MemoryMachineReader::stat(const std::string& path) const {
  if (path == "/") {
    PathInfo root;
    root.type = FileType::kDirectory;
    return root;
  }
  const auto it = nodes_.find(path);
  if (it == nodes_.end()) return fail_errno(ENOENT, path);
  return it->second.info;
}

}  // namespace periscope::setup
