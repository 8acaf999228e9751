#include "viewer/view_source.hpp"

namespace periscope::viewer {

Result<ViewSource> open_view_source(const std::string& shm_path,
                                    const std::string& post_clock_path) {
  // The viewer only reads frames, but LGMP subscription writes to the queue header.
  auto region = MappedRegion::open(shm_path, {.writable = true, .create_size_bytes = 0});
  if (!region) return tl::unexpected(region.error());
  ViewSource source{std::move(*region), std::nullopt};
  if (!post_clock_path.empty()) {
    auto clock = PostClock::open(post_clock_path);
    if (!clock) return tl::unexpected(clock.error());
    source.post_clock.emplace(std::move(*clock));
  }
  return source;
}

}  // namespace periscope::viewer
