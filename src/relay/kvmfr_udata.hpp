#pragma once
// KVMFR user data: the 48-byte header and the VMINFO/OSINFO records that follow it.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "relay/layout.hpp"

namespace periscope::b7 {

struct VmInfo {
  std::array<std::uint8_t, 16> uuid{};
  std::string capture;  // at most 31 bytes are kept
  std::uint8_t cpus{0};
  std::uint8_t cores{0};
  std::uint8_t sockets{0};
  std::string cpu_model;
};

struct OsInfo {
  OsType os{OsType::kOther};
  std::string name;
};

struct KvmfrInfo {
  std::string hostver;  // "B7" for Looking Glass B7
  std::uint32_t features{0};
  std::optional<VmInfo> vm;
  std::optional<OsInfo> os;
  std::uint32_t unknown_records{0};  // skipped by size
};

std::vector<std::byte> build_kvmfr_udata(const KvmfrInfo& info);

// Validates a private copy of the udata. Strings are bounded by their fields and by the
// record size; records that run past udataSize end the walk (the header still counts).
Result<KvmfrInfo> parse_kvmfr_udata(std::span<const std::byte> udata);

std::string_view os_type_name(OsType os);

}  // namespace periscope::b7
