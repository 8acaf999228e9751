#pragma once
// Large copies into and out of the shared region.
//
// Non-temporal (streaming) stores write whole cache lines straight to memory without first
// reading them (no read-for-ownership) and without evicting the cache. For frame-sized copies
// that is faster than memcpy on the machines measured (docs/benchmarks.md), and for the
// producer it also means the consumer on the other core reads lines from memory instead of
// snooping them out of our cache.
#include <cstddef>

namespace periscope {

// Copies `bytes` from src to dst with streaming stores when the CPU has AVX2 and the copy is
// large; otherwise memcpy. Ends with a store fence, so a release store after it publishes the
// data (the write pointer).
void copy_streaming(std::byte* dst, const std::byte* src, std::size_t bytes);

}  // namespace periscope
