#pragma once
// Copying a frame out of shared memory behind the producer's write pointer ("post, then
// stream"): the producer's copy-in and ours overlap, which is where the format gets its
// latency. Every wait is bounded: a write pointer that stops moving ends the copy, and so does
// a frame that takes too long however the pointer moves.
#include <atomic>
#include <cstdint>
#include <span>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/frame_info.hpp"

namespace periscope::b7 {

struct CopyLimits {
  // Give up when the pointer has not passed what we already copied for this long (moving back
  // and forth below it is not progress).
  Nanoseconds stall_timeout;
  // Give up at this time whatever the pointer does.
  TimePoint deadline;
};

// Copies `total` bytes from src to dst, each byte once the write pointer has passed it.
// kTimeout when a limit is reached first.
Status copy_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src, std::byte* dst,
                      std::uint64_t total, const CopyLimits& limits);

// Copies only `rects` (validated texel rectangles of `info`'s frame), waiting for the pointer
// to pass each one's last row. Returns the number of bytes copied.
Result<std::uint64_t> copy_rects_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src,
                                           std::byte* dst, const FrameInfo& info,
                                           std::span<const TexelRect> rects,
                                           const CopyLimits& limits);

// The same for the frame's own damage rectangles.
Result<std::uint64_t> copy_rects_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src,
                                           std::byte* dst, const FrameInfo& info,
                                           const CopyLimits& limits);

}  // namespace periscope::b7
