#pragma once
// "WIDTHxHEIGHT" on command lines.
#include <cstdint>
#include <string_view>

#include "common/result.hpp"

namespace periscope {

struct Dimensions {
  std::uint32_t width{0};
  std::uint32_t height{0};
};

// Accepts e.g. "1920x1080"; each side 1..max_side.
Result<Dimensions> parse_dimensions(std::string_view text, std::uint32_t max_side = 16384);

}  // namespace periscope
