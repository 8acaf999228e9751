#include "common/dimensions.hpp"

#include <charconv>

namespace periscope {

Result<Dimensions> parse_dimensions(std::string_view text, std::uint32_t max_side) {
  const auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                "bad size '{}': expected WIDTHxHEIGHT with each side 1..{}, e.g. 1920x1080", text,
                max_side);
  };
  const auto x = text.find('x');
  if (x == std::string_view::npos) return bad();
  Dimensions d;
  const auto parse = [](std::string_view part, std::uint32_t& out) {
    const auto* end = part.data() + part.size();
    auto [ptr, ec] = std::from_chars(part.data(), end, out);
    return ec == std::errc{} && ptr == end && !part.empty();
  };
  if (!parse(text.substr(0, x), d.width) || !parse(text.substr(x + 1), d.height)) return bad();
  if (d.width == 0 || d.height == 0 || d.width > max_side || d.height > max_side) return bad();
  return d;
}

}  // namespace periscope
