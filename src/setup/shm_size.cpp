#include "setup/shm_size.hpp"

#include "relay/frame_format.hpp"

namespace periscope::setup {

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;
}

ShmSize shm_size_for(Dimensions size, bool hdr) {
  ShmSize out;
  out.width = size.width;
  out.height = size.height;
  out.hdr = hdr;
  out.bytes_per_pixel = hdr ? 8 : 4;
  out.frame_bytes = std::uint64_t{size.width} * size.height * out.bytes_per_pixel;
  out.region_bytes = b7::recommended_region_bytes(size.width, size.height, out.bytes_per_pixel);
  // The rule rounds to a power of two MiB, so these divisions are exact; kvmfr takes MiB and
  // sizes its device at exactly N x 1 MiB, which QEMU's backend object must match to the byte.
  out.region_mib = out.region_bytes / kMiB;
  out.kvmfr_static_size_mb = out.region_mib;
  out.qemu_object_size_bytes = out.kvmfr_static_size_mb * kMiB;
  return out;
}

Result<ShmSize> shm_size_for(std::string_view resolution, bool hdr) {
  auto size = parse_dimensions(resolution);
  if (!size) return tl::unexpected(size.error());
  return shm_size_for(*size, hdr);
}

std::string shm_size_text(const ShmSize& size) {
  const double frames_mib = static_cast<double>(2 * size.frame_bytes) / static_cast<double>(kMiB);
  return fmt::format(
      "{}x{} {}: {} MiB ({} bytes)\n"
      "  Looking Glass B7 rule: 2 frames x {} bytes ({} bytes per pixel) = {:.2f} MiB, + 10 MiB, "
      "rounded up to a power of two\n"
      "shm file:  <shmem name='looking-glass'><model type='ivshmem-plain'/>"
      "<size unit='M'>{}</size></shmem>\n"
      "kvmfr:     options kvmfr static_size_mb={}\n"
      "           QEMU memory-backend-file size={} (must equal static_size_mb x 1048576)\n",
      size.width, size.height, size.hdr ? "HDR" : "SDR", size.region_mib, size.region_bytes,
      size.frame_bytes, size.bytes_per_pixel, frames_mib, size.region_mib,
      size.kvmfr_static_size_mb, size.qemu_object_size_bytes);
}

nlohmann::json shm_size_json(const ShmSize& size) {
  return {
      {"width", size.width},
      {"height", size.height},
      {"hdr", size.hdr},
      {"bytes_per_pixel", size.bytes_per_pixel},
      {"frame_bytes", size.frame_bytes},
      {"region_bytes", size.region_bytes},
      {"region_mib", size.region_mib},
      {"kvmfr_static_size_mb", size.kvmfr_static_size_mb},
      {"qemu_object_size_bytes", size.qemu_object_size_bytes},
  };
}

}  // namespace periscope::setup
