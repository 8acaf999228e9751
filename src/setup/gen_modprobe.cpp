// modprobe.d: which devices vfio-pci claims (`options vfio-pci ids=`) and the soft
// dependencies that load it before the drivers that would otherwise claim them first.
#include <fmt/format.h>

#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

bool is_vfio_pci(std::string_view module) {
  return module == "vfio-pci" || module == "vfio_pci";
}

// The text with every `options vfio-pci ... ids=...` line losing its ids= (the whole line
// commented out when ids= was its only option), pointing at our file instead.
std::string without_vfio_ids(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::size_t end = newline == std::string::npos ? text.size() : newline + 1;
    const std::string line = text.substr(start, end - start);
    start = end;
    const std::vector<std::string> words = split_whitespace(line);
    bool has_ids = false;
    std::vector<std::string> kept;
    if (words.size() >= 3 && words[0] == "options" && is_vfio_pci(words[1])) {
      for (std::size_t i = 2; i < words.size(); ++i) {
        if (starts_with(words[i], "ids=")) {
          has_ids = true;
        } else {
          kept.push_back(words[i]);
        }
      }
    }
    if (!has_ids) {
      out += line;
      continue;
    }
    const std::string eol = ends_with(line, "\n") ? "\n" : "";
    out += fmt::format("# periscope: vfio-pci's ids are set in {} now; this line said:\n# {}{}",
                       kModprobePath, trim(line), eol.empty() ? "\n" : eol);
    if (!kept.empty()) out += fmt::format("options {} {}{}", words[1], join(kept, " "), eol);
  }
  return out;
}

}  // namespace

std::vector<PlannedFile> generate_modprobe(const GpuBinding& gpu, const ModprobeChoices& choices,
                                           const std::map<std::string, std::string>& current) {
  std::string text =
      fmt::format("# Written by `periscope setup plan` for the VM's GPU {}.\n", gpu.description);
  if (choices.ids_in_modprobe) {
    text += fmt::format("# vfio-pci claims all its functions ({}) on every boot.\n",
                        join(gpu.functions, " "));
    text += fmt::format("options vfio-pci ids={}\n", join(gpu.ids, ","));
  } else {
    text +=
        "# The ids are on the kernel command line of the boot entry that binds the GPU; on any\n"
        "# other entry vfio-pci loads early but claims nothing.\n";
  }
  if (!gpu.host_drivers.empty()) {
    text += "# Load vfio-pci before the drivers that would claim these devices first.\n";
    for (const std::string& driver : gpu.host_drivers) {
      text += fmt::format("softdep {} pre: vfio-pci\n", driver);
    }
  }
  if (choices.ignore_msrs) {
    text +=
        "# Windows reads model-specific registers KVM does not emulate; ignore them quietly\n"
        "# instead of injecting a fault (a blue screen in some games and drivers).\n"
        "options kvm ignore_msrs=1 report_ignored_msrs=0\n";
  }
  std::vector<PlannedFile> files;
  files.push_back({kModprobePath, text, 0644,
                   choices.ids_in_modprobe ? "vfio-pci claims the GPU's functions; softdeps"
                                           : "vfio-pci loads before the GPU's drivers"});
  if (choices.ids_in_modprobe) {
    for (const auto& [path, old_text] : current) {
      if (path == kModprobePath || !ends_with(path, ".conf")) continue;
      std::string edited = without_vfio_ids(old_text);
      if (edited != old_text) {
        files.push_back(
            {path, std::move(edited), 0644,
             fmt::format("one source of truth: vfio-pci ids now come from {}", kModprobePath)});
      }
    }
  }
  return files;
}

}  // namespace periscope::setup
