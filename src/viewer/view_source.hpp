#pragma once
// What every viewer opens first: the shared-memory region, and, when the producer runs on this
// host and records its post times, its post clock (for posted->memory latency).
#include <optional>
#include <string>

#include "common/mapped_region.hpp"
#include "common/result.hpp"
#include "relay/post_clock.hpp"

namespace periscope::viewer {

struct ViewSource {
  MappedRegion region;
  std::optional<PostClock> post_clock;

  [[nodiscard]] const PostClock* clock() const { return post_clock ? &*post_clock : nullptr; }
};

// `post_clock_path` empty: no post clock.
Result<ViewSource> open_view_source(const std::string& shm_path,
                                    const std::string& post_clock_path);

}  // namespace periscope::viewer
