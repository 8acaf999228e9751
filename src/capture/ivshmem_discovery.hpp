#pragma once
// Inside a guest: which shared memory to write when the user did not say. Looks for the
// Looking Glass kvmfr device (/dev/kvmfr0) and for IVSHMEM PCI devices (1af4:1110), whose
// BAR2 the agent maps through sysfs (`resource2`; read/write on it fail, mmap works).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace periscope::capture {

struct IvshmemDevice {
  std::string address;   // PCI address, e.g. 0000:00:03.0
  std::string bar_path;  // .../resource2
  std::uint64_t size_bytes{0};
};

// Every 1af4:1110 device under `<sysfs>/bus/pci/devices`, sorted by address.
std::vector<IvshmemDevice> find_ivshmem_devices(const std::filesystem::path& sysfs = "/sys");

struct ShmChoice {
  std::string path;
  std::string reason;  // said in the log: why this one
};

// The kvmfr device when `kvmfr_device` exists; else the IVSHMEM device at `address` when given;
// else the only one; else the largest (Scream's audio ring is the usual small second device).
// A clear error when there is none, naming what to add to the VM.
Result<ShmChoice> choose_shared_memory(const std::vector<IvshmemDevice>& devices,
                                       const std::optional<std::string>& address,
                                       const std::filesystem::path& kvmfr_device = "/dev/kvmfr0");

}  // namespace periscope::capture
