#include "relay/kvmfr_udata.hpp"

#include <algorithm>
#include <cstring>

namespace periscope::b7 {

namespace {

// A string from a fixed-size field that may lack its NUL.
std::string bounded_string(const char* data, std::size_t field_bytes) {
  const auto* end = std::find(data, data + field_bytes, '\0');
  return std::string(data, end);
}

void append_bytes(std::vector<std::byte>& out, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::byte*>(data);
  out.insert(out.end(), bytes, bytes + size);
}

void append_record(std::vector<std::byte>& out, std::uint8_t type,
                   const std::vector<std::byte>& body) {
  KvmfrRecordHeader header{type, {0, 0, 0}, static_cast<std::uint32_t>(body.size())};
  append_bytes(out, &header, sizeof header);
  out.insert(out.end(), body.begin(), body.end());
}

}  // namespace

std::string_view os_type_name(OsType os) {
  switch (os) {
    case OsType::kLinux:
      return "Linux";
    case OsType::kBsd:
      return "BSD";
    case OsType::kOsx:
      return "macOS";
    case OsType::kWindows:
      return "Windows";
    case OsType::kOther:
      break;
  }
  return "other";
}

std::vector<std::byte> build_kvmfr_udata(const KvmfrInfo& info) {
  std::vector<std::byte> out;
  KvmfrHeader header{};
  std::memcpy(header.magic, kKvmfrMagic, sizeof header.magic);
  header.version = kKvmfrVersion;
  std::memcpy(header.hostver, info.hostver.data(),
              std::min(info.hostver.size(), sizeof header.hostver - 1));
  header.features = info.features;
  append_bytes(out, &header, sizeof header);

  if (info.vm) {
    KvmfrVmInfo vm{};
    std::copy(info.vm->uuid.begin(), info.vm->uuid.end(), vm.uuid);
    std::memcpy(vm.capture, info.vm->capture.data(),
                std::min(info.vm->capture.size(), sizeof vm.capture - 1));
    vm.cpus = info.vm->cpus;
    vm.cores = info.vm->cores;
    vm.sockets = info.vm->sockets;
    std::vector<std::byte> body;
    append_bytes(body, &vm, sizeof vm);
    append_bytes(body, info.vm->cpu_model.c_str(), info.vm->cpu_model.size() + 1);
    append_record(out, kRecordVmInfo, body);
  }
  if (info.os) {
    std::vector<std::byte> body;
    const auto os = static_cast<std::uint8_t>(info.os->os);
    append_bytes(body, &os, 1);
    append_bytes(body, info.os->name.c_str(), info.os->name.size() + 1);
    append_record(out, kRecordOsInfo, body);
  }
  return out;
}

Result<KvmfrInfo> parse_kvmfr_udata(std::span<const std::byte> udata) {
  KvmfrHeader header{};
  if (udata.size() < sizeof header) {
    return fail(ErrorCode::kProtocol, "KVMFR user data is {} bytes, the header alone is {}",
                udata.size(), sizeof header);
  }
  std::memcpy(&header, udata.data(), sizeof header);
  if (std::memcmp(header.magic, kKvmfrMagic, sizeof header.magic) != 0) {
    return fail(ErrorCode::kProtocol, "the LGMP user data is not KVMFR (bad magic)");
  }
  KvmfrInfo info;
  info.hostver = bounded_string(header.hostver, sizeof header.hostver);
  if (header.version != kKvmfrVersion) {
    return tl::unexpected(
        Error{ErrorCode::kVersionMismatch,
              fmt::format("the guest's capture app speaks KVMFR version {} (host version \"{}\"), "
                          "Periscope speaks version {} (Looking Glass B7)",
                          header.version, info.hostver, kKvmfrVersion),
              0});
  }
  info.features = header.features;

  std::size_t at = sizeof header;
  while (udata.size() - at >= sizeof(KvmfrRecordHeader)) {
    KvmfrRecordHeader record{};
    std::memcpy(&record, udata.data() + at, sizeof record);
    at += sizeof record;
    if (record.size > udata.size() - at) break;  // runs past the end: stop, keep what we have
    const auto* body = reinterpret_cast<const char*>(udata.data() + at);
    if (record.type == kRecordVmInfo && record.size >= sizeof(KvmfrVmInfo)) {
      KvmfrVmInfo raw{};
      std::memcpy(&raw, body, sizeof raw);
      VmInfo vm;
      std::copy(std::begin(raw.uuid), std::end(raw.uuid), vm.uuid.begin());
      vm.capture = bounded_string(raw.capture, sizeof raw.capture);
      vm.cpus = raw.cpus;
      vm.cores = raw.cores;
      vm.sockets = raw.sockets;
      vm.cpu_model = bounded_string(body + sizeof raw, record.size - sizeof raw);
      info.vm = std::move(vm);
    } else if (record.type == kRecordOsInfo && record.size >= 1) {
      OsInfo os;
      const auto type = static_cast<std::uint8_t>(body[0]);
      os.os = type <= static_cast<std::uint8_t>(OsType::kOther) ? static_cast<OsType>(type)
                                                                : OsType::kOther;
      os.name = bounded_string(body + 1, record.size - 1);
      info.os = std::move(os);
    } else {
      ++info.unknown_records;
    }
    at += record.size;
  }
  return info;
}

}  // namespace periscope::b7
