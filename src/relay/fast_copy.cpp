#include "relay/fast_copy.hpp"

#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace periscope {

namespace {

// Pieces smaller than this stay in cache anyway.
constexpr std::size_t kStreamingMinBytes = 64 * 1024;

__attribute__((target("avx2"))) void stream_avx2(std::byte* dst, const std::byte* src,
                                                 std::size_t bytes) {
  // Align the destination to 32 bytes with one ordinary copy of the head.
  const auto misalign = reinterpret_cast<std::uintptr_t>(dst) & 31U;
  if (misalign != 0) {
    const std::size_t head = 32 - misalign;
    std::memcpy(dst, src, head);
    dst += head;
    src += head;
    bytes -= head;
  }
  const std::size_t blocks = bytes / 128;
  for (std::size_t i = 0; i < blocks; ++i) {
    const auto* s = reinterpret_cast<const __m256i*>(src);
    auto* d = reinterpret_cast<__m256i*>(dst);
    const __m256i a = _mm256_loadu_si256(s + 0);
    const __m256i b = _mm256_loadu_si256(s + 1);
    const __m256i c = _mm256_loadu_si256(s + 2);
    const __m256i e = _mm256_loadu_si256(s + 3);
    _mm256_stream_si256(d + 0, a);
    _mm256_stream_si256(d + 1, b);
    _mm256_stream_si256(d + 2, c);
    _mm256_stream_si256(d + 3, e);
    src += 128;
    dst += 128;
  }
  _mm_sfence();
  std::memcpy(dst, src, bytes % 128);
}

bool use_streaming() {
  static const bool streaming = [] {
    const char* env = std::getenv("PERISCOPE_COPY");
    if (env != nullptr && std::string_view(env) == "memcpy") return false;
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return streaming;
}

}  // namespace

void copy_to_shared(std::byte* dst, const std::byte* src, std::size_t bytes) {
  if (bytes >= kStreamingMinBytes && use_streaming()) {
    stream_avx2(dst, src, bytes);
  } else {
    std::memcpy(dst, src, bytes);
  }
}

}  // namespace periscope
