#pragma once
// Copying a frame out of shared memory behind the producer's write pointer ("post, then
// stream"): the producer's copy-in and ours overlap, which is where the format gets its
// latency. Every wait is bounded: a write pointer that stops moving ends the copy.
#include <atomic>
#include <cstdint>
#include <span>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/frame_info.hpp"

namespace periscope::b7 {

// Copies `total` bytes from src to dst, each byte once the write pointer has passed it.
// kTimeout when the pointer makes no progress for `stall_timeout`.
Status copy_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src, std::byte* dst,
                      std::uint64_t total, Nanoseconds stall_timeout);

// Copies only the damaged rectangles, waiting for the pointer to pass each one's last row.
// Returns the number of bytes copied.
Result<std::uint64_t> copy_rects_behind_wp(std::atomic_ref<std::uint32_t> wp, const std::byte* src,
                                           std::byte* dst, const FrameInfo& info,
                                           Nanoseconds stall_timeout);

}  // namespace periscope::b7
