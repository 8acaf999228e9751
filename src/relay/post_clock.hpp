#pragma once
// The post clock: a small side file in which a producer on the same host records when it
// posted each frame, so a consumer can measure "message posted -> frame fully in our memory".
//
// The B7 format carries no post timestamp, and guest and host clocks have different epochs,
// so this only works when both ends run on one machine (the demo, the benchmark, tests). It is
// a separate file so the B7 region itself stays byte-for-byte compatible. Entries are a ring
// indexed by frame serial; each is written ns-first, serial-last, and read back with a
// re-check of the serial, so a torn entry is never used.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/mapped_region.hpp"
#include "common/result.hpp"

namespace periscope {

class PostClock {
 public:
  static constexpr std::uint32_t kEntries = 256;

  // Creates (writer) or opens (reader) the side file.
  static Result<PostClock> create(const std::string& path);
  static Result<PostClock> open(const std::string& path);

  void record(std::uint32_t serial, TimePoint posted_at);
  [[nodiscard]] std::optional<TimePoint> lookup(std::uint32_t serial) const;

 private:
  struct Entry {
    std::uint64_t serial_plus_one;  // 0 = empty
    std::uint64_t posted_ns;
  };
  struct File {
    std::uint32_t magic;
    std::uint32_t entries;
    Entry ring[kEntries];
  };
  static constexpr std::uint32_t kMagic = 0x50435350;  // "PSCP"

  explicit PostClock(MappedRegion region) : region_(std::move(region)) {}
  [[nodiscard]] File& file() const { return *reinterpret_cast<File*>(region_.data()); }

  MappedRegion region_;
};

}  // namespace periscope
