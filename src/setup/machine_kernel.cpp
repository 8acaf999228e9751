// The running kernel: its release (vfio_virqfd went away in 6.2), which of the modules that
// matter are loaded, and KVM's MSR options.
#include <set>

#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

// The modules the checks ask about. /proc/modules lists loaded ones; /sys/module/<name> also
// shows built-in ones that have parameters (Arch builds vfio in on some kernels).
const char* const kModules[] = {"vfio",   "vfio_pci",  "vfio_iommu_type1", "vfio_virqfd",
                                "kvm",    "kvm_intel", "kvm_amd",          "kvmfr",
                                "nvidia", "nouveau",   "amdgpu",           "vendor_reset"};

std::optional<std::string> read_flag(const MachineReader& reader, const std::string& path) {
  auto text = reader.read_file(path, kSmallFileBytes);
  if (!text) return std::nullopt;
  const std::string_view value = trim(*text);
  if (value == "Y" || value == "N") return std::string(value);
  if (value == "1") return std::string("Y");
  if (value == "0") return std::string("N");
  return printable(value, 20);
}

}  // namespace

std::optional<bool> KernelFacts::at_least(int want_major, int want_minor) const {
  if (!major || !minor) return std::nullopt;
  return *major > want_major || (*major == want_major && *minor >= want_minor);
}

KernelFacts read_kernel_facts(const MachineReader& reader) {
  KernelFacts facts;
  if (auto release = reader.read_file("/proc/sys/kernel/osrelease", kSmallFileBytes)) {
    const std::string text = printable(trim(*release), 100);
    facts.release = text;
    // "6.7.4-zen1-1-zen", "5.19.0-42-generic": the first two numbers.
    const std::vector<std::string> parts = split_on(text, '.');
    if (parts.size() >= 2) {
      std::string minor_digits;
      for (const char c : parts[1]) {
        if (c < '0' || c > '9') break;
        minor_digits += c;
      }
      facts.major = parse_small_int(parts[0]);
      facts.minor = parse_small_int(minor_digits);
    }
  } else {
    facts.release = tl::unexpected(release.error());
  }
  std::set<std::string> loaded;
  if (auto modules = reader.read_file("/proc/modules", kTextFileBytes)) {
    facts.proc_modules_read = true;
    for (const std::string& line : split_lines(*modules)) {
      const std::vector<std::string> words = split_whitespace(line);
      if (!words.empty() && is_kernel_name(words[0])) loaded.insert(words[0]);
    }
  }
  for (const char* name : kModules) {
    facts.modules[name] =
        loaded.count(name) != 0 || reader.exists(std::string("/sys/module/") + name);
  }
  facts.dev_vfio = reader.exists("/dev/vfio/vfio");
  if (facts.release && facts.release->find('/') == std::string::npos) {
    // A few hundred kilobytes at most; a cut-short list only makes the answer "not built in".
    if (auto builtin = reader.read_file("/lib/modules/" + *facts.release + "/modules.builtin",
                                        kCpuinfoBytes)) {
      facts.vfio_pci_builtin = builtin->find("/vfio-pci.ko") != std::string::npos;
    }
  }
  facts.ignore_msrs = read_flag(reader, "/sys/module/kvm/parameters/ignore_msrs");
  facts.report_ignored_msrs = read_flag(reader, "/sys/module/kvm/parameters/report_ignored_msrs");
  return facts;
}

}  // namespace periscope::setup
