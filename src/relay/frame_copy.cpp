#include "relay/frame_copy.hpp"

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "relay/frame_format.hpp"

namespace periscope::b7 {

namespace {

// Waits for the write pointer to pass what we already have. Only passing it counts as
// progress: a pointer that moves back and forth below `have` is a stall, not progress.
class WpWaiter {
 public:
  WpWaiter(std::atomic_ref<std::uint32_t> wp, const CopyLimits& limits)
      : wp_(wp), limits_(limits) {}

  // Returns a pointer value > have (clamped to total), or 0 when a limit is reached.
  std::uint64_t wait_past(std::uint64_t have, std::uint64_t total) {
    TimePoint since{};
    for (unsigned spin = 0;; ++spin) {
      const std::uint64_t seen =
          std::min<std::uint64_t>(wp_.load(std::memory_order_acquire), total);
      if (seen > have) return seen;
      if ((spin & 31) == 0) {
        const TimePoint now = Clock::now();
        if (spin == 0) since = now;
        if (now - since >= limits_.stall_timeout || now >= limits_.deadline) return 0;
        if (spin > 4096) ::sched_yield();  // the producer may need our core
      }
      __builtin_ia32_pause();
    }
  }

 private:
  std::atomic_ref<std::uint32_t> wp_;
  CopyLimits limits_;
};

}  // namespace

Status copy_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src, std::byte* dst,
                      std::uint64_t total, const CopyLimits& limits) {
  WpWaiter waiter(wp, limits);
  std::uint64_t copied = 0;
  while (copied < total) {
    const std::uint64_t ready = waiter.wait_past(copied, total);
    if (ready == 0) {
      return fail(ErrorCode::kTimeout, "the write pointer stopped at {} of {} bytes", copied,
                  total);
    }
    // Plain memcpy: our copy is read next on this side (upload), so keep it in cache.
    std::memcpy(dst + copied, src + copied, ready - copied);
    copied = ready;
  }
  return {};
}

Result<std::uint64_t> copy_rects_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src,
                                           std::byte* dst, const FrameInfo& info,
                                           const CopyLimits& limits) {
  return copy_rects_behind_wp(wp, src, dst, info, std::span(info.damage.data(), info.damage_count),
                              limits);
}

Result<std::uint64_t> copy_rects_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src,
                                           std::byte* dst, const FrameInfo& info,
                                           std::span<const TexelRect> damage,
                                           const CopyLimits& limits) {
  // Copy in order of each rectangle's last row, so we wait for the pointer only once per rect.
  std::vector<TexelRect> rects(damage.begin(), damage.end());
  auto end = rects.end();
  std::sort(rects.begin(), end,
            [](const TexelRect& a, const TexelRect& b) { return a.y + a.height < b.y + b.height; });
  WpWaiter waiter(wp, limits);
  const std::uint64_t texel = texel_bytes(info.type);
  std::uint64_t ready = 0;
  std::uint64_t copied = 0;
  for (auto r = rects.begin(); r != end; ++r) {
    const std::uint64_t needed = std::uint64_t{r->y + r->height} * info.pitch;
    while (ready < needed) {
      ready = waiter.wait_past(ready, info.data_bytes);
      if (ready == 0) {
        return fail(ErrorCode::kTimeout, "the write pointer stopped before row {}",
                    r->y + r->height);
      }
    }
    const std::uint64_t row_bytes = r->width * texel;
    for (std::uint64_t y = r->y; y < r->y + r->height; ++y) {
      const std::uint64_t at = y * info.pitch + r->x * texel;
      std::memcpy(dst + at, src + at, row_bytes);
    }
    copied += row_bytes * r->height;
  }
  return copied;
}

}  // namespace periscope::b7
