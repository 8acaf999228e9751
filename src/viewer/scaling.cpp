#include "viewer/scaling.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace periscope::viewer {

namespace {

constexpr std::array<std::pair<ScaleMode, std::string_view>, 4> kNames{{
    {ScaleMode::kFit, "fit"},
    {ScaleMode::kInteger, "integer"},
    {ScaleMode::kStretch, "stretch"},
    {ScaleMode::kNative, "native"},
}};

input::PictureRect centred(std::int64_t window_w, std::int64_t window_h, std::int64_t w,
                           std::int64_t h) {
  return input::PictureRect{static_cast<std::int32_t>((window_w - w) / 2),
                            static_cast<std::int32_t>((window_h - h) / 2),
                            static_cast<std::int32_t>(w), static_cast<std::int32_t>(h)};
}

}  // namespace

std::string_view scale_mode_name(ScaleMode mode) {
  for (const auto& [m, name] : kNames)
    if (m == mode) return name;
  return "fit";
}

std::optional<ScaleMode> parse_scale_mode(std::string_view name) {
  for (const auto& [m, n] : kNames)
    if (n == name) return m;
  return std::nullopt;
}

bool scale_mode_is_smooth(ScaleMode mode) {
  return mode == ScaleMode::kFit || mode == ScaleMode::kStretch;
}

input::PictureRect picture_rect(ScaleMode mode, std::uint32_t window_width,
                                std::uint32_t window_height, std::uint32_t guest_width,
                                std::uint32_t guest_height) {
  if (window_width == 0 || window_height == 0 || guest_width == 0 || guest_height == 0) return {};
  const std::int64_t ww = window_width;
  const std::int64_t wh = window_height;
  const std::int64_t gw = guest_width;
  const std::int64_t gh = guest_height;
  switch (mode) {
    case ScaleMode::kStretch:
      return input::PictureRect{0, 0, static_cast<std::int32_t>(ww), static_cast<std::int32_t>(wh)};
    case ScaleMode::kNative:
      return centred(ww, wh, gw, gh);
    case ScaleMode::kInteger: {
      const std::int64_t factor = std::min(ww / gw, wh / gh);
      if (factor >= 1) return centred(ww, wh, gw * factor, gh * factor);
      break;  // does not fit even at 1x: shrink as fit does
    }
    case ScaleMode::kFit:
      break;
  }
  // Fit: the limiting axis fills the window; the other keeps the aspect, rounded, never 0.
  if (ww * gh <= wh * gw) {
    const std::int64_t h = std::max<std::int64_t>(1, (ww * gh + gw / 2) / gw);
    return centred(ww, wh, ww, std::min(h, wh));
  }
  const std::int64_t w = std::max<std::int64_t>(1, (wh * gw + gh / 2) / gh);
  return centred(ww, wh, std::min(w, ww), wh);
}

}  // namespace periscope::viewer
