#include "capture/guest_info.hpp"

#include <fstream>
#include <string>
#include <thread>

namespace periscope::capture {

namespace {

// The value of the first line of `path` starting with `key`, after the separator.
std::string field_of(const char* path, std::string_view key, char separator) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto at = line.find(separator);
    if (at == std::string::npos) continue;
    std::string value = line.substr(at + 1);
    const auto first = value.find_first_not_of(" \t\"");
    const auto last = value.find_last_not_of(" \t\"");
    return first == std::string::npos ? std::string{} : value.substr(first, last - first + 1);
  }
  return {};
}

// A VM's UUID is its DMI product UUID ("xxxxxxxx-xxxx-..."); zero when unreadable.
std::array<std::uint8_t, 16> machine_uuid() {
  std::array<std::uint8_t, 16> uuid{};
  std::ifstream in("/sys/class/dmi/id/product_uuid");
  std::string text;
  if (!(in >> text)) return uuid;
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < text.size() && n < uuid.size(); ++i) {
    if (text[i] == '-') continue;
    const auto hex = text.substr(i, 2);
    uuid[n++] = static_cast<std::uint8_t>(std::stoul(hex, nullptr, 16));
    ++i;
  }
  return uuid;
}

}  // namespace

b7::KvmfrInfo describe_this_machine(std::string_view capture_name) {
  b7::KvmfrInfo info;
  info.hostver = "periscope-" PERISCOPE_VERSION;
  b7::VmInfo vm;
  try {
    vm.uuid = machine_uuid();
  } catch (const std::exception&) {
    vm.uuid = {};
  }
  vm.capture = std::string(capture_name);
  const unsigned cpus = std::thread::hardware_concurrency();
  vm.cpus = static_cast<std::uint8_t>(cpus > 255 ? 255 : cpus);
  vm.cores = vm.cpus;
  vm.sockets = 1;
  vm.cpu_model = field_of("/proc/cpuinfo", "model name", ':');
  info.vm = vm;
  b7::OsInfo os;
  os.os = b7::OsType::kLinux;
  os.name = field_of("/etc/os-release", "PRETTY_NAME", '=');
  info.os = os;
  return info;
}

}  // namespace periscope::capture
