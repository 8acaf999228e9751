#pragma once
// A cursor image as a capture source produces it and the producer sends it (KVMFR cursor
// types, spec section 5.3). Non-owning: the pixels belong to whoever filled it in.
#include <cstdint>
#include <span>

#include "relay/layout.hpp"

namespace periscope {

struct CursorImage {
  b7::CursorType type{b7::CursorType::kColor};
  std::uint32_t width{0};
  std::uint32_t height{0};  // for monochrome: both masks
  std::uint32_t pitch{0};
  std::int8_t hotspot_x{0};
  std::int8_t hotspot_y{0};
  std::span<const std::byte> pixels;  // height * pitch bytes
};

}  // namespace periscope
