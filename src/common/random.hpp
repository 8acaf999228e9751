#pragma once
#include <cstdint>

namespace periscope {

// A random 32-bit value from the kernel (session and client ids); never returns 0.
std::uint32_t random_u32();

}  // namespace periscope
