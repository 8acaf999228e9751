#include "capture/ivshmem_discovery.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace periscope::capture {

namespace {

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::vector<IvshmemDevice> find_ivshmem_devices(const std::filesystem::path& sysfs) {
  std::vector<IvshmemDevice> devices;
  std::error_code ec;
  const auto root = sysfs / "bus/pci/devices";
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const auto dir = entry.path();
    if (first_line(dir / "vendor") != "0x1af4" || first_line(dir / "device") != "0x1110") {
      continue;
    }
    IvshmemDevice device;
    device.address = dir.filename().string();
    device.bar_path = (dir / "resource2").string();
    // sysfs gives resource files the size of the BAR.
    const auto size = std::filesystem::file_size(dir / "resource2", ec);
    if (ec) continue;
    device.size_bytes = size;
    devices.push_back(std::move(device));
  }
  std::sort(devices.begin(), devices.end(),
            [](const auto& a, const auto& b) { return a.address < b.address; });
  return devices;
}

Result<ShmChoice> choose_shared_memory(const std::vector<IvshmemDevice>& devices,
                                       const std::optional<std::string>& address,
                                       const std::filesystem::path& kvmfr_device) {
  std::error_code ec;
  if (!address && std::filesystem::exists(kvmfr_device, ec)) {
    return ShmChoice{kvmfr_device.string(), "the kvmfr driver's device"};
  }
  if (address) {
    for (const auto& d : devices) {
      // Accept the short form (00:03.0) as lspci prints it.
      if (d.address == *address || d.address == "0000:" + *address) {
        return ShmChoice{d.bar_path, "the IVSHMEM device asked for"};
      }
    }
    return fail(ErrorCode::kNotFound, "no IVSHMEM device (PCI 1af4:1110) at {}; this guest has {}",
                *address, devices.size());
  }
  if (devices.empty()) {
    return fail(ErrorCode::kNotFound,
                "no IVSHMEM device in this guest (PCI 1af4:1110) and no {}: give the VM one "
                "(QEMU: -object memory-backend-file,id=lg,share=on,mem-path=/dev/shm/"
                "looking-glass,size=32M -device ivshmem-plain,memdev=lg; libvirt: <shmem "
                "name='looking-glass'>), or pass --shm",
                kvmfr_device.string());
  }
  if (devices.size() == 1) {
    return ShmChoice{devices.front().bar_path, "the only IVSHMEM device"};
  }
  const auto largest =
      std::max_element(devices.begin(), devices.end(),
                       [](const auto& a, const auto& b) { return a.size_bytes < b.size_bytes; });
  return ShmChoice{largest->bar_path,
                   fmt::format("the largest of {} IVSHMEM devices ({} MiB; choose with --device)",
                               devices.size(), largest->size_bytes >> 20)};
}

}  // namespace periscope::capture
