#include "relay/frame_format.hpp"

#include <array>
#include <bit>

namespace periscope::b7 {

namespace {
constexpr std::array<std::string_view, kFrameTypeCount> kNames = {
    "invalid", "bgra", "rgba", "rgba10", "rgba16f", "bgr32", "rgb24"};
}

std::string_view frame_type_name(FrameType type) {
  const auto index = static_cast<std::uint32_t>(type);
  return index < kNames.size() ? kNames[index] : "invalid";
}

std::optional<FrameType> parse_frame_type(std::string_view name) {
  for (std::uint32_t i = 1; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<FrameType>(i);
  }
  return std::nullopt;
}

std::uint64_t recommended_region_bytes(std::uint32_t width, std::uint32_t height,
                                       std::uint32_t bytes_per_pixel) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  const std::uint64_t frame_bytes = std::uint64_t{width} * height * bytes_per_pixel * 2;
  const std::uint64_t mib = (frame_bytes + kMiB - 1) / kMiB + 10;
  return std::bit_ceil(mib) * kMiB;
}

}  // namespace periscope::b7
