#include "common/random.hpp"

#include <sys/random.h>

#include <chrono>

namespace periscope {

std::uint32_t random_u32() {
  std::uint32_t value = 0;
  while (value == 0) {
    if (::getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value)) {
      // getrandom cannot fail for 4 bytes once the pool is ready; fall back to the clock anyway.
      value = static_cast<std::uint32_t>(
          std::chrono::steady_clock::now().time_since_epoch().count() * 2654435761U);
    }
  }
  return value;
}

}  // namespace periscope
