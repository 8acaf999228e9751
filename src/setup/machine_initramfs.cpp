// Which initramfs generator the machine uses and which modules its configuration puts in the
// image. The doctor reads configuration only; listing an image's content needs the tool.
#include <algorithm>

#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"
#include "setup/setup_detect.hpp"

namespace periscope::setup {

namespace {

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  for (std::string word : split_whitespace(text)) {
    std::erase(word, '"');
    std::erase(word, '\'');
    if (is_kernel_name(word)) words.push_back(std::move(word));
  }
  return words;
}

// mkinitcpio: MODULES=(a b c) or MODULES+=(d), a bash array that may span lines.
std::vector<std::string> mkinitcpio_modules(std::string_view text) {
  std::vector<std::string> modules;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t newline = text.find('\n', line_start);
    const std::size_t line_end = newline == std::string_view::npos ? text.size() : newline;
    const std::string_view line = trim(text.substr(line_start, line_end - line_start));
    std::size_t next = line_end + 1;
    if (starts_with(line, "MODULES=(") || starts_with(line, "MODULES+=(")) {
      const std::size_t open = text.find('(', line_start);
      const std::size_t close = text.find(')', open);
      const std::size_t end = close == std::string_view::npos ? text.size() : close;
      for (std::string& word : words_of(text.substr(open + 1, end - open - 1))) {
        modules.push_back(std::move(word));
      }
      next = std::max(next, end + 1);
    }
    line_start = next;
  }
  return modules;
}

// dracut: add_drivers+=" a b ", force_drivers+="...", drivers="..." (shell assignments).
std::vector<std::string> dracut_modules(std::string_view text) {
  std::vector<std::string> modules;
  for (const std::string& raw : split_lines(text)) {
    const std::string_view line = trim(raw);
    if (starts_with(line, "#")) continue;
    for (const char* key : {"add_drivers", "force_drivers", "drivers"}) {
      const std::string prefix = key;
      if (!starts_with(line, prefix + "=") && !starts_with(line, prefix + "+=")) continue;
      std::string_view value = line.substr(line.find('=') + 1);
      if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
        const char quote = value.front();
        value.remove_prefix(1);
        value = value.substr(0, value.find(quote));
      }
      for (std::string& word : words_of(value)) modules.push_back(std::move(word));
    }
  }
  return modules;
}

// initramfs-tools: /etc/initramfs-tools/modules, one module (and its options) per line.
std::vector<std::string> initramfs_tools_modules(std::string_view text) {
  std::vector<std::string> modules;
  for (const std::string& line : split_lines(text)) {
    const std::vector<std::string> words = split_whitespace(line);
    if (words.empty() || starts_with(words[0], "#")) continue;
    if (is_kernel_name(words[0])) modules.push_back(words[0]);
  }
  return modules;
}

void add_config(const MachineReader& reader, InitramfsFacts& facts, InitramfsTool tool,
                const std::string& path, std::vector<std::string> (*parse)(std::string_view)) {
  auto text = reader.read_file(path, kTextFileBytes);
  if (!text) {
    facts.problems.push_back(printable(text.error().message));
    return;
  }
  facts.configs.push_back({tool, path, parse(*text)});
}

}  // namespace

InitramfsFacts read_initramfs_facts(const MachineReader& reader) {
  InitramfsFacts facts;
  if (reader.exists("/etc/mkinitcpio.conf")) {
    facts.tools.push_back(InitramfsTool::kMkinitcpio);
    add_config(reader, facts, InitramfsTool::kMkinitcpio, "/etc/mkinitcpio.conf",
               mkinitcpio_modules);
    for (const std::string& name : reader.list_or_empty("/etc/mkinitcpio.conf.d")) {
      if (ends_with(name, ".conf")) {
        add_config(reader, facts, InitramfsTool::kMkinitcpio,
                   "/etc/mkinitcpio.conf.d/" + printable(name), mkinitcpio_modules);
      }
    }
  }
  if (reader.is_dir("/etc/dracut.conf.d") || reader.exists("/etc/dracut.conf")) {
    facts.tools.push_back(InitramfsTool::kDracut);
    if (reader.exists("/etc/dracut.conf")) {
      add_config(reader, facts, InitramfsTool::kDracut, "/etc/dracut.conf", dracut_modules);
    }
    for (const std::string& name : reader.list_or_empty("/etc/dracut.conf.d")) {
      // dracut only reads *.conf here: a drop-in without the suffix is silently ignored.
      if (ends_with(name, ".conf")) {
        add_config(reader, facts, InitramfsTool::kDracut, "/etc/dracut.conf.d/" + printable(name),
                   dracut_modules);
      } else {
        facts.dracut_ignored.push_back("/etc/dracut.conf.d/" + printable(name));
      }
    }
  }
  if (reader.is_dir("/etc/initramfs-tools")) {
    facts.tools.push_back(InitramfsTool::kInitramfsTools);
    if (reader.exists("/etc/initramfs-tools/modules")) {
      add_config(reader, facts, InitramfsTool::kInitramfsTools, "/etc/initramfs-tools/modules",
                 initramfs_tools_modules);
    }
  }
  // The separate entry's own image (vfio-pci in it, the distribution's images untouched).
  for (const char* path :
       {kDebianHookPath, kPostinstPath, kKernelInstallPath, kMkinitcpioConfPath}) {
    if (reader.exists(path)) facts.separate_builders.emplace_back(path);
  }
  for (const std::string& name : reader.list_or_empty("/boot")) {
    // Per kernel (periscope-vfio-initrd-<kernel>.img) or the tracked periscope-vfio-initrd.img.
    if (starts_with(name, "periscope-vfio-initrd")) {
      facts.separate_images.push_back("/boot/" + printable(name));
    }
  }
  return facts;
}

}  // namespace periscope::setup
