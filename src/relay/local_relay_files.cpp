#include "relay/local_relay_files.hpp"

#include <unistd.h>

#include <filesystem>
#include <utility>

namespace periscope {

Result<LocalRelayFiles> LocalRelayFiles::create(std::string_view purpose,
                                                std::uint64_t region_bytes,
                                                const std::string& dir) {
  const std::string base = fmt::format("{}/periscope-{}-{}", dir, purpose, ::getpid());
  std::string region_path = base + ".ivshmem";
  std::string clock_path = base + ".post-clock";
  auto region =
      MappedRegion::open(region_path, {.writable = true, .create_size_bytes = region_bytes});
  if (!region) return tl::unexpected(region.error());
  auto clock = PostClock::create(clock_path);
  if (!clock) {
    std::error_code ec;
    std::filesystem::remove(region_path, ec);
    return tl::unexpected(clock.error());
  }
  return LocalRelayFiles(std::move(region_path), std::move(clock_path), std::move(*region),
                         std::move(*clock));
}

LocalRelayFiles::LocalRelayFiles(std::string region_path, std::string post_clock_path,
                                 MappedRegion region, PostClock post_clock)
    : region_path_(std::move(region_path)),
      post_clock_path_(std::move(post_clock_path)),
      region_(std::move(region)),
      post_clock_(std::move(post_clock)) {}

LocalRelayFiles::LocalRelayFiles(LocalRelayFiles&& other) noexcept
    : region_path_(std::move(other.region_path_)),
      post_clock_path_(std::move(other.post_clock_path_)),
      region_(std::move(other.region_)),
      post_clock_(std::move(other.post_clock_)),
      owner_(std::exchange(other.owner_, false)) {}

LocalRelayFiles::~LocalRelayFiles() {
  remove_files();
}

void LocalRelayFiles::remove_files() {
  if (!owner_) return;
  std::error_code ec;
  std::filesystem::remove(region_path_, ec);
  std::filesystem::remove(post_clock_path_, ec);
}

}  // namespace periscope
