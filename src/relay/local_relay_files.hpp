#pragma once
// A relay on this host (demo, benchmark): a shared-memory region file sized by the B7 rule and
// its post-clock side file, both made private to this process and removed when it goes away.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/mapped_region.hpp"
#include "common/result.hpp"
#include "relay/post_clock.hpp"

namespace periscope {

class LocalRelayFiles {
 public:
  // Files are named <dir>/periscope-<purpose>-<pid>.{ivshmem,post-clock}.
  static Result<LocalRelayFiles> create(std::string_view purpose, std::uint64_t region_bytes,
                                        const std::string& dir = "/dev/shm");

  LocalRelayFiles(LocalRelayFiles&& other) noexcept;
  LocalRelayFiles& operator=(LocalRelayFiles&&) = delete;
  LocalRelayFiles(const LocalRelayFiles&) = delete;
  LocalRelayFiles& operator=(const LocalRelayFiles&) = delete;
  ~LocalRelayFiles();

  [[nodiscard]] const std::string& region_path() const { return region_path_; }
  [[nodiscard]] const std::string& post_clock_path() const { return post_clock_path_; }
  [[nodiscard]] MappedRegion& region() { return region_; }
  [[nodiscard]] PostClock& post_clock() { return post_clock_; }

 private:
  LocalRelayFiles(std::string region_path, std::string post_clock_path, MappedRegion region,
                  PostClock post_clock);
  void remove_files();

  std::string region_path_;
  std::string post_clock_path_;
  MappedRegion region_;
  PostClock post_clock_;
  bool owner_{true};
};

}  // namespace periscope
