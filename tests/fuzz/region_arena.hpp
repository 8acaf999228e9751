#pragma once
// The fuzz region: one anonymous mapping made once per process (mapping and faulting in 4 MiB
// per input would dominate the run time), followed by an inaccessible guard page so that a
// read past the end of the region faults even without ASan. Every byte the harness, the
// producer or the consumer may have written is recorded by page, and restore() zeroes exactly
// those pages, so each input starts from an all-zero region.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/mapped_region.hpp"

namespace periscope::fuzz {

class RegionArena {
 public:
  static constexpr std::size_t kRegionBytes = 4 * 1024 * 1024;
  static constexpr std::size_t kPageBytes = 4096;

  // The process-wide arena (created on first use; aborts when it cannot be mapped).
  static RegionArena& instance();

  [[nodiscard]] std::byte* base() const { return mapping_.data(); }
  [[nodiscard]] std::size_t size() const { return kRegionBytes; }

  // Records that [offset, offset + length) may change (clipped to the region).
  void mark(std::uint64_t offset, std::uint64_t length);
  void mark_all() { mark(0, kRegionBytes); }
  // Zeroes every page marked since the last restore.
  void restore();
  // True when the whole region is zero (checks that the dirty tracking missed nothing).
  [[nodiscard]] bool all_zero() const;

 private:
  explicit RegionArena(MappedRegion mapping);

  MappedRegion mapping_;
  std::vector<std::uint64_t> dirty_;  // one bit per page
};

}  // namespace periscope::fuzz
