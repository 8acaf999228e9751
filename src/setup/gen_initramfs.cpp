// The initramfs module lists: vfio-pci must be in the image and load before the GPU's own
// driver, or the driver claims the card first. Each generator has its own file format.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

// The order the mkinitcpio and dracut documentation give; the kernel resolves dependencies
// itself, so order only matters relative to the GPU drivers listed after them.
constexpr std::array<const char*, 3> kVfioModules = {"vfio_pci", "vfio", "vfio_iommu_type1"};
constexpr const char* kVirqfd = "vfio_virqfd";

std::string unquoted(std::string word) {
  std::erase(word, '"');
  std::erase(word, '\'');
  return word;
}

bool is_vfio_module(const std::string& word) {
  return std::find(kVfioModules.begin(), kVfioModules.end(), unquoted(word)) != kVfioModules.end();
}

// mkinitcpio.conf is bash: `MODULES=(a b c)`, maybe over several lines. The last assignment
// wins, so that is the one edited; the list becomes the vfio modules first, then the others
// as they were (minus vfio_virqfd from 6.2 on). Everything outside the parentheses stays.
std::string edit_mkinitcpio(const std::string& text, bool drop_virqfd) {
  std::size_t assignment = std::string::npos;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t newline = text.find('\n', line_start);
    const std::size_t line_end = newline == std::string::npos ? text.size() : newline;
    const std::string_view line(text.data() + line_start, line_end - line_start);
    const std::string_view t = trim(line);
    if (starts_with(t, "MODULES=(")) assignment = line_start + line.find("MODULES=(");
    line_start = line_end + 1;
  }
  const std::string wanted_first = join({kVfioModules.begin(), kVfioModules.end()}, " ");
  if (assignment == std::string::npos) {
    std::string out = text;
    if (!out.empty() && !ends_with(out, "\n")) out += '\n';
    return out + "MODULES=(" + wanted_first + ")\n";
  }
  const std::size_t open = assignment + std::string_view("MODULES=").size();
  const std::size_t close = text.find(')', open);
  if (close == std::string::npos) return text;  // unbalanced: the planner reports no change
  std::vector<std::string> words = split_whitespace(text.substr(open + 1, close - open - 1));
  std::vector<std::string> list(kVfioModules.begin(), kVfioModules.end());
  for (std::string& word : words) {
    if (is_vfio_module(word)) continue;
    if (drop_virqfd && unquoted(word) == kVirqfd) continue;
    list.push_back(std::move(word));
  }
  return text.substr(0, open + 1) + join(list, " ") + text.substr(close);
}

// dracut drop-ins: drop vfio_virqfd from every driver list (from 6.2 on).
std::string without_virqfd(const std::string& text) {
  std::string out;
  for (const std::string& line : split_lines(text)) {
    const std::string_view t = trim(line);
    std::string edited = line;
    if (!starts_with(t, "#") && t.find("drivers") != std::string_view::npos) {
      for (std::size_t at = edited.find(kVirqfd); at != std::string::npos;
           at = edited.find(kVirqfd, at)) {
        const std::size_t end = at + std::string_view(kVirqfd).size();
        const bool word_start = at == 0 || edited[at - 1] == ' ' || edited[at - 1] == '"' ||
                                edited[at - 1] == '\'' || edited[at - 1] == '\t';
        const bool word_end = end == edited.size() || edited[end] == ' ' || edited[end] == '"' ||
                              edited[end] == '\'' || edited[end] == '\t';
        if (!word_start || !word_end) {
          at = end;
          continue;
        }
        // Take one blank with it so "a vfio_virqfd b" becomes "a b".
        const std::size_t erase_end = end < edited.size() && edited[end] == ' ' ? end + 1 : end;
        edited.erase(at, erase_end - at);
      }
    }
    out += edited;
    out += '\n';
  }
  if (!ends_with(text, "\n") && !out.empty()) out.pop_back();
  return out;
}

// initramfs-tools: /etc/initramfs-tools/modules, one module per line, loaded in that order.
std::string edit_initramfs_tools(const std::string* current, bool drop_virqfd) {
  std::string out;
  std::vector<std::string> present;
  if (current != nullptr) {
    for (const std::string& line : split_lines(*current)) {
      const std::vector<std::string> words = split_whitespace(line);
      if (!words.empty() && drop_virqfd && words[0] == kVirqfd) continue;
      if (!words.empty()) present.push_back(words[0]);
      out += line;
      out += '\n';
    }
  }
  std::vector<std::string> missing;
  for (const char* module : {"vfio", "vfio_iommu_type1", "vfio_pci"}) {
    if (std::find(present.begin(), present.end(), module) == present.end()) {
      missing.emplace_back(module);
    }
  }
  if (current != nullptr && missing.empty()) {
    // Nothing to add: keep the file's own ending.
    if (!ends_with(*current, "\n") && !out.empty()) out.pop_back();
    return out;
  }
  if (!missing.empty()) {
    out += "# periscope: vfio-pci claims the VM's GPU before its own driver loads\n";
    for (const std::string& module : missing) out += module + "\n";
  }
  return out;
}

}  // namespace

Result<std::vector<PlannedFile>> generate_initramfs(InitramfsTool tool, bool kernel_6_2_or_later,
                                                    const HostDetection& host) {
  std::vector<PlannedFile> files;
  switch (tool) {
    case InitramfsTool::kMkinitcpio: {
      const std::string path = "/etc/mkinitcpio.conf";
      const std::string* text = host.file(path);
      if (text == nullptr) {
        return fail(ErrorCode::kNotFound, "{} is missing: mkinitcpio has no configuration", path);
      }
      files.push_back({path, edit_mkinitcpio(*text, kernel_6_2_or_later), 0644,
                       kernel_6_2_or_later
                           ? "vfio modules first in MODULES; no vfio_virqfd (gone since 6.2)"
                           : "vfio modules first in MODULES"});
      break;
    }
    case InitramfsTool::kDracut: {
      // Drop-ins without ".conf" are ignored by dracut: ours keeps the suffix.
      bool has_all = true;
      const auto drop_ins = host.files_in("/etc/dracut.conf.d");
      for (const char* module : kVfioModules) {
        const bool listed = std::any_of(drop_ins.begin(), drop_ins.end(), [&](const auto& entry) {
          return ends_with(entry.first, ".conf") &&
                 entry.second.find(std::string("force_drivers")) != std::string::npos &&
                 entry.second.find(module) != std::string::npos;
        });
        has_all = has_all && listed;
      }
      if (!has_all || host.file(kDracutPath) != nullptr) {
        files.push_back({kDracutPath,
                         "# Written by `periscope setup plan`: load vfio-pci early, before the "
                         "GPU's own driver.\nforce_drivers+=\" vfio_pci vfio vfio_iommu_type1 \"\n",
                         0644, "vfio modules forced into the image"});
      }
      if (kernel_6_2_or_later) {
        for (const auto& [path, text] : drop_ins) {
          if (!ends_with(path, ".conf") || path == kDracutPath) continue;
          std::string edited = without_virqfd(text);
          if (edited != text) {
            files.push_back({path, std::move(edited), 0644,
                             "no vfio_virqfd: it is gone since 6.2 and dracut would fail"});
          }
        }
      }
      break;
    }
    case InitramfsTool::kInitramfsTools: {
      const std::string path = "/etc/initramfs-tools/modules";
      files.push_back({path, edit_initramfs_tools(host.file(path), kernel_6_2_or_later), 0644,
                       "vfio modules in the initramfs"});
      break;
    }
  }
  return files;
}

PlannedCommand initramfs_command(InitramfsTool tool) {
  switch (tool) {
    case InitramfsTool::kMkinitcpio:
      return {{"mkinitcpio", "-P"}, "rebuild every initramfs preset with the vfio modules", true};
    case InitramfsTool::kDracut:
      return {{"dracut", "-f", "--regenerate-all"},
              "rebuild every initramfs with the vfio modules",
              true};
    case InitramfsTool::kInitramfsTools:
      break;
  }
  return {{"update-initramfs", "-u", "-k", "all"},
          "rebuild every initramfs with the vfio modules",
          true};
}

}  // namespace periscope::setup
