#include "relay/post_clock.hpp"

namespace periscope {

Result<PostClock> PostClock::create(const std::string& path) {
  auto region = MappedRegion::open(path, {.writable = true, .create_size_bytes = sizeof(File)});
  if (!region) return tl::unexpected(region.error());
  PostClock clock(std::move(*region));
  std::atomic_ref(clock.file().entries).store(kEntries);
  std::atomic_ref(clock.file().magic).store(kMagic, std::memory_order_release);
  return clock;
}

Result<PostClock> PostClock::open(const std::string& path) {
  auto region = MappedRegion::open(path, {.writable = false, .create_size_bytes = 0});
  if (!region) return tl::unexpected(region.error());
  if (region->size() < sizeof(File)) {
    return fail(ErrorCode::kTooSmall, "{} is not a post-clock file", path);
  }
  PostClock clock(std::move(*region));
  if (std::atomic_ref(clock.file().magic).load(std::memory_order_acquire) != kMagic) {
    return fail(ErrorCode::kProtocol, "{} is not a post-clock file", path);
  }
  return clock;
}

void PostClock::record(std::uint32_t serial, TimePoint posted_at) {
  Entry& e = file().ring[serial % kEntries];
  std::atomic_ref(e.serial_plus_one).store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  std::atomic_ref(e.posted_ns).store(monotonic_ns(posted_at), std::memory_order_relaxed);
  std::atomic_ref(e.serial_plus_one).store(std::uint64_t{serial} + 1, std::memory_order_release);
}

std::optional<TimePoint> PostClock::lookup(std::uint32_t serial) const {
  Entry& e = file().ring[serial % kEntries];
  const std::uint64_t want = std::uint64_t{serial} + 1;
  if (std::atomic_ref(e.serial_plus_one).load(std::memory_order_acquire) != want) {
    return std::nullopt;
  }
  const std::uint64_t ns = std::atomic_ref(e.posted_ns).load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (std::atomic_ref(e.serial_plus_one).load(std::memory_order_relaxed) != want) {
    return std::nullopt;
  }
  return TimePoint(Nanoseconds(ns));
}

}  // namespace periscope
