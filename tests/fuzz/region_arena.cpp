#include "region_arena.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace periscope::fuzz {

namespace {

constexpr std::size_t kPages = RegionArena::kRegionBytes / RegionArena::kPageBytes;

}  // namespace

RegionArena::RegionArena(MappedRegion mapping)
    : mapping_(std::move(mapping)), dirty_((kPages + 63) / 64, 0) {}

RegionArena& RegionArena::instance() {
  static RegionArena* arena = [] {
    auto mapping = MappedRegion::anonymous(kRegionBytes + kPageBytes);
    if (!mapping) {
      std::fprintf(stderr, "fuzz: cannot map the region: %s\n", mapping.error().message.c_str());
      std::abort();
    }
    if (::mprotect(mapping->data() + kRegionBytes, kPageBytes, PROT_NONE) != 0) {
      std::perror("fuzz: mprotect guard page");
      std::abort();
    }
    return new RegionArena(std::move(*mapping));  // lives as long as the process
  }();
  return *arena;
}

void RegionArena::mark(std::uint64_t offset, std::uint64_t length) {
  if (length == 0 || offset >= kRegionBytes) return;
  const std::uint64_t end =
      std::min<std::uint64_t>(kRegionBytes, offset + std::min(length, std::uint64_t{kRegionBytes}));
  for (std::uint64_t page = offset / kPageBytes; page * kPageBytes < end; ++page) {
    dirty_[page / 64] |= 1ULL << (page % 64);
  }
}

void RegionArena::restore() {
  for (std::size_t word = 0; word < dirty_.size(); ++word) {
    for (std::uint64_t bits = dirty_[word]; bits != 0;) {
      // Zero runs of consecutive dirty pages with one memset each.
      const auto first = static_cast<std::size_t>(__builtin_ctzll(bits));
      std::size_t last = first;
      while (last + 1 < 64 && (bits & (1ULL << (last + 1))) != 0) ++last;
      const std::size_t page = word * 64 + first;
      std::memset(base() + page * kPageBytes, 0, (last - first + 1) * kPageBytes);
      bits &= last == 63 ? 0 : ~((2ULL << last) - 1);
    }
    dirty_[word] = 0;
  }
}

bool RegionArena::all_zero() const {
  static const std::vector<std::byte> zero_page(kPageBytes);
  for (std::size_t at = 0; at < kRegionBytes; at += kPageBytes) {
    if (std::memcmp(base() + at, zero_page.data(), kPageBytes) != 0) return false;
  }
  return true;
}

}  // namespace periscope::fuzz
