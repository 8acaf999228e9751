#include "frame_model.hpp"

#include <algorithm>
#include <cstring>

#include "relay/frame_format.hpp"

namespace periscope::fuzz {

namespace {

bool same_format(const FrameDesc& a, const FrameDesc& b) {
  // What the producer compares to decide on a new format version.
  return a.type == b.type && a.width == b.width && a.height == b.height &&
         a.screen_width == b.screen_width && a.screen_height == b.screen_height &&
         a.rotation == b.rotation;
}

}  // namespace

bool FrameModel::continues(const FrameDesc& desc) const {
  return desc_ && same_format(*desc_, desc);
}

void FrameModel::fill(std::size_t begin, std::size_t end) {
  // New content for [begin, end): a window into a fixed noise table that moves with every
  // frame, so each frame differs everywhere it is filled and filling costs one memcpy.
  static constexpr std::size_t kWindow = 64 * 1024;
  static constexpr std::size_t kTableBytes = 1024 * 1024 + kWindow;
  static const std::vector<std::byte> table = [] {
    std::vector<std::byte> t(kTableBytes);
    std::uint32_t x = 0x9e3779b9;
    for (auto& b : t) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<std::byte>(x);
    }
    return t;
  }();
  const std::size_t shift = (std::size_t{generation_} * 4099) % kWindow;
  if (end + shift <= kTableBytes) {
    std::memcpy(image_.data() + begin, table.data() + shift + begin, end - begin);
    return;
  }
  for (std::size_t i = begin; i < end; ++i) {  // larger than any frame slot the harness makes
    image_[i] = table[(i + shift) % kTableBytes];
  }
}

const std::byte* FrameModel::prepare(const FrameDesc& desc, std::uint32_t pitch, std::uint32_t rows,
                                     std::span<const b7::DamageRect> damage) {
  ++generation_;
  const bool full = !continues(desc) || damage.empty() || damage.size() > b7::kMaxDamageRects;
  desc_ = desc;
  image_.resize(std::size_t{rows} * pitch);
  last_full_ = full;
  if (full) {
    fill(0, image_.size());
    return image_.data();
  }
  // Change only bytes inside the rects, clamped the way the producer clamps them.
  const bool packed = b7::is_packed_24bit(desc.type);
  const std::uint64_t texel = b7::texel_bytes(desc.type);
  for (const auto& r : damage) {
    const std::uint32_t x0 = std::min(r.x, desc.width);
    const std::uint32_t x1 = std::min(r.x + std::min(r.width, desc.width - x0), desc.width);
    const std::uint32_t y0 = std::min(r.y, rows);
    const std::uint32_t y1 = std::min(r.y + std::min(r.height, rows - y0), rows);
    const std::uint64_t b0 = packed ? std::uint64_t{x0} * 3 : x0 * texel;
    const std::uint64_t b1 = packed ? std::uint64_t{x1} * 3 : x1 * texel;
    for (std::uint64_t y = y0; y < y1; ++y) {
      fill(static_cast<std::size_t>(y * pitch + b0), static_cast<std::size_t>(y * pitch + b1));
    }
  }
  return image_.data();
}

void FrameModel::written(const Result<FrameWritten>& result, bool strict) {
  if (!result) {
    trusted_ = false;  // not expected with the arguments the harness passes
    return;
  }
  if (result->post == FramePost::kDropped && have_ && result->serial == serial_) {
    // The slot was busy: the producer skipped this image without using a serial number. The
    // next frame's damage does not describe this one's changes, so unless strict, stop
    // checking until a frame that is copied whole.
    if (!strict) trusted_ = false;
    return;
  }
  serial_ = result->serial;
  written_ = image_;
  have_ = true;
  if (last_full_) trusted_ = true;
}

std::optional<std::span<const std::byte>> FrameModel::expected(std::uint32_t serial) const {
  if (!have_ || !trusted_ || serial != serial_) return std::nullopt;
  return std::span<const std::byte>(written_);
}

}  // namespace periscope::fuzz
