#pragma once
// The producer's copy of pixels into the shared region.
//
// Streaming (non-temporal) stores write whole cache lines to memory without reading them first
// (no read-for-ownership) and without filling our cache with lines only the other side will
// read. Measured on the 2-core CI machines with `periscope bench relay` (docs/benchmarks.md):
// at 1440p the median relay rate rose from 0.45 to 0.61 of memcpy, at 2160p from 0.75-0.82 to
// 0.86-1.06. The consumer keeps plain memcpy: its copy is read next on its own side.
#include <cstddef>

namespace periscope {

// Copies `bytes` into shared memory; with AVX2 and 64 KiB or more, with streaming stores and
// a closing store fence, so a release store after it publishes the data (the write pointer).
// PERISCOPE_COPY=memcpy in the environment turns streaming off (for A/B benchmarks).
void copy_to_shared(std::byte* dst, const std::byte* src, std::size_t bytes);

}  // namespace periscope
