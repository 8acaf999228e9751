#pragma once
// How big the Looking Glass shared memory must be for a guest resolution, by the B7 rule, and
// the matching kvmfr module option (`static_size_mb`) whose size QEMU's object must equal.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/dimensions.hpp"
#include "common/result.hpp"

namespace periscope::setup {

struct ShmSize {
  std::uint32_t width{0};
  std::uint32_t height{0};
  bool hdr{false};
  std::uint32_t bytes_per_pixel{4};         // 4 SDR, 8 HDR
  std::uint64_t frame_bytes{0};             // one frame; the rule budgets two
  std::uint64_t region_bytes{0};            // the shared memory size (b7::recommended_region_bytes)
  std::uint64_t region_mib{0};              // the same in MiB: libvirt <size unit='M'>
  std::uint64_t kvmfr_static_size_mb{0};    // `options kvmfr static_size_mb=N`
  std::uint64_t qemu_object_size_bytes{0};  // N x 1048576: the memory-backend-file size
};

ShmSize shm_size_for(Dimensions size, bool hdr);
// "WIDTHxHEIGHT", e.g. "2560x1440".
Result<ShmSize> shm_size_for(std::string_view resolution, bool hdr);

std::string shm_size_text(const ShmSize& size);
// {"width", "height", "hdr", "bytes_per_pixel", "frame_bytes", "region_bytes", "region_mib",
//  "kvmfr_static_size_mb", "qemu_object_size_bytes"}
nlohmann::json shm_size_json(const ShmSize& size);

}  // namespace periscope::setup
