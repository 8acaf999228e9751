// CPU vendor and virtualisation support, from /proc/cpuinfo and the kvm modules.
#include <string_view>

#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

Result<CpuFacts> read_cpu_facts(const MachineReader& reader) {
  auto text = reader.read_file("/proc/cpuinfo", kCpuinfoBytes);
  if (!text) return tl::unexpected(text.error());
  CpuFacts facts;
  bool have_flags = false;
  // Only the first processor block is read: every core of a part reports the same vendor and
  // virtualisation flags, and a cut-short file still has its first block.
  for (const std::string& line : split_lines(*text)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      if (trim(line).empty() && have_flags) break;
      continue;
    }
    const std::string_view key = trim(std::string_view(line).substr(0, colon));
    const std::string_view value = trim(std::string_view(line).substr(colon + 1));
    if (key == "vendor_id" && facts.vendor.empty()) {
      facts.vendor = printable(value, 32);
    } else if (key == "model name" && facts.model_name.empty()) {
      facts.model_name = printable(value, 100);
    } else if (key == "flags" && !have_flags) {
      have_flags = true;
      for (const std::string& flag : split_whitespace(value)) {
        if (flag == "vmx") facts.vmx = true;
        if (flag == "svm") facts.svm = true;
      }
    }
  }
  if (facts.vendor.empty() && !have_flags) {
    return fail(ErrorCode::kProtocol, "/proc/cpuinfo has no vendor_id or flags");
  }
  facts.kvm_device = reader.exists("/dev/kvm");
  facts.kvm_vendor_module =
      reader.exists("/sys/module/kvm_intel") || reader.exists("/sys/module/kvm_amd");
  return facts;
}

}  // namespace periscope::setup
