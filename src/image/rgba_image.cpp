#include "image/rgba_image.hpp"

#include <ostream>

namespace periscope::image {

std::ostream& operator<<(std::ostream& os, const Rgba& colour) {
  // Unary + prints the bytes as numbers rather than characters.
  return os << '{' << +colour.r << ',' << +colour.g << ',' << +colour.b << ',' << +colour.a << '}';
}

}  // namespace periscope::image
