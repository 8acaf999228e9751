// How vfio-pci is told which devices to claim: `options vfio-pci ids=` in modprobe.d and
// `vfio-pci.ids=` on the kernel command line, plus the softdeps that order it before the
// host drivers.
#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

bool is_vfio_pci(std::string_view module) {
  return module == "vfio-pci" || module == "vfio_pci";
}

void read_modprobe_file(std::string_view text, const std::string& source, ModprobeFacts& facts) {
  for (const std::string& line : split_lines(text)) {
    const std::vector<std::string> words = split_whitespace(line);
    if (words.size() >= 3 && words[0] == "options" && is_vfio_pci(words[1])) {
      for (std::size_t i = 2; i < words.size(); ++i) {
        if (starts_with(words[i], "ids=")) {
          facts.vfio_ids.push_back({source, printable(words[i].substr(4), 300)});
        }
      }
    } else if (words.size() >= 2 && words[0] == "softdep") {
      facts.softdeps.push_back(printable(trim(line), 200));
    }
  }
}

}  // namespace

ModprobeFacts read_modprobe_facts(const MachineReader& reader, const BootFacts& boot) {
  ModprobeFacts facts;
  const std::string dir = "/etc/modprobe.d";
  for (const std::string& name : reader.list_or_empty(dir)) {
    const std::string path = dir + "/" + printable(name);
    auto text = reader.read_file(dir + "/" + name, kTextFileBytes);
    if (!text) continue;
    // kmod reads only *.conf files here; a vfio file without the suffix does nothing.
    if (!ends_with(name, ".conf")) {
      if (text->find("vfio") != std::string::npos) facts.ignored_files.push_back(path);
      continue;
    }
    read_modprobe_file(*text, path, facts);
  }
  if (boot.running) {
    for (const std::string& value : cmdline_values(*boot.running, "vfio_pci.ids")) {
      facts.vfio_ids.push_back({"/proc/cmdline", printable(value, 300)});
    }
  }
  return facts;
}

}  // namespace periscope::setup
