#include "capture/test_pattern.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "relay/frame_format.hpp"

namespace periscope::capture {

namespace {

using Rgba = std::array<std::uint8_t, 4>;

constexpr Rgba kBarColours[8] = {{255, 255, 255, 255}, {255, 255, 0, 255}, {0, 255, 255, 255},
                                 {0, 255, 0, 255},     {255, 0, 255, 255}, {255, 0, 0, 255},
                                 {0, 0, 255, 255},     {0, 0, 0, 255}};
// Colours that appear nowhere in the background, so a screenshot check can find the box and
// the grid by colour alone.
constexpr Rgba kBoxColour = {255, 128, 0, 255};
constexpr Rgba kGridColour = {0, 128, 255, 255};
constexpr Rgba kPanelColour = {0, 0, 0, 255};
constexpr Rgba kSegmentColour = {0, 255, 0, 255};
constexpr std::uint32_t kGridSpacing = 64;
constexpr std::uint64_t kCursorTurnFrames = 240;

// Segments a..g as bits 0..6, for the digits 0..9.
constexpr std::uint8_t kSegments[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f};

// Everything about the pattern's geometry that depends only on the options.
struct Layout {
  std::uint32_t width, height;
  std::uint32_t box_w, box_h, box_y, box_range, box_step;
  std::uint32_t digit_h, seg, digit_w, digit_gap, pad;
  b7::DamageRect counter;  // clipped to the frame
};

// What changes from frame to frame.
struct FrameState {
  b7::DamageRect box;
  std::array<std::uint8_t, TestPattern::kCounterDigits> digits;
};

Layout make_layout(const TestPattern::Options& o) {
  Layout l{};
  l.width = o.width;
  l.height = o.height;
  l.box_w = std::max(1u, o.width / 8);
  l.box_h = std::max(1u, o.height / 8);
  l.box_y = o.height / 4 - l.box_h / 2;  // box_h/2 <= height/16, so no underflow
  l.box_range = o.width - l.box_w + 1;   // positions that keep the box wholly inside
  l.box_step = std::max(1u, o.width / 160);
  // 7 rows is the least that draws three bars and two gaps legibly.
  l.digit_h = std::max(7u, o.height / 16);
  l.seg = std::max(1u, l.digit_h / 8);
  l.digit_w = std::max(3 * l.seg, l.digit_h / 2);
  l.digit_gap = 2 * l.seg;
  l.pad = l.seg;
  const std::uint32_t panel_w = 2 * l.pad + TestPattern::kCounterDigits * l.digit_w +
                                (TestPattern::kCounterDigits - 1) * l.digit_gap;
  const std::uint32_t panel_h = 2 * l.pad + l.digit_h;
  // x < width and y < height always hold, so the clipped panel is never empty: every frame
  // after the first reports at least this rect, and empty damage keeps meaning "everything".
  l.counter.x = o.width / 16;
  l.counter.y = o.height * 5 / 8;
  l.counter.width = std::min(panel_w, o.width - l.counter.x);
  l.counter.height = std::min(panel_h, o.height - l.counter.y);
  return l;
}

b7::DamageRect box_at(const Layout& l, std::uint64_t frame_index) {
  // (n mod range) * step cannot overflow where n * step could.
  const std::uint64_t x = (frame_index % l.box_range) * l.box_step % l.box_range;
  return {static_cast<std::uint32_t>(x), l.box_y, l.box_w, l.box_h};
}

FrameState make_state(const Layout& l, std::uint64_t frame_index) {
  FrameState s{box_at(l, frame_index), {}};
  std::uint64_t value = frame_index;
  for (std::uint32_t i = TestPattern::kCounterDigits; i-- > 0;) {
    s.digits[i] = static_cast<std::uint8_t>(value % 10);
    value /= 10;
  }
  return s;
}

bool contains(const b7::DamageRect& r, std::uint32_t x, std::uint32_t y) {
  return x >= r.x && x - r.x < r.width && y >= r.y && y - r.y < r.height;
}

Rgba background(const Layout& l, std::uint32_t x, std::uint32_t y) {
  if (y < l.height / 2) return kBarColours[std::uint64_t{x} * 8 / l.width];
  if (x % kGridSpacing == 0 || y % kGridSpacing == 0) return kGridColour;
  const auto grey =
      static_cast<std::uint8_t>(l.width > 1 ? std::uint64_t{x} * 255 / (l.width - 1) : 0);
  return {grey, grey, grey, 255};
}

// Whether (x, y), relative to a digit cell's top-left, lies on a lit segment. Segments overlap
// at the corners so digits read as solid shapes even when a segment is one pixel thick.
bool segment_lit(const Layout& l, std::uint8_t digit, std::uint32_t x, std::uint32_t y) {
  const std::uint8_t on = kSegments[digit];
  const std::uint32_t mid = (l.digit_h - l.seg) / 2;
  const bool left = x < l.seg;
  const bool right = x >= l.digit_w - l.seg;
  const bool upper = y < mid + l.seg;
  const bool lower = y >= mid;
  return ((on & 0x01) && y < l.seg) ||                  // a
         ((on & 0x02) && right && upper) ||             // b
         ((on & 0x04) && right && lower) ||             // c
         ((on & 0x08) && y >= l.digit_h - l.seg) ||     // d
         ((on & 0x10) && left && lower) ||              // e
         ((on & 0x20) && left && upper) ||              // f
         ((on & 0x40) && y >= mid && y < mid + l.seg);  // g
}

Rgba counter_pixel(const Layout& l, const FrameState& s, std::uint32_t x, std::uint32_t y) {
  const std::uint32_t lx = x - l.counter.x;
  const std::uint32_t ly = y - l.counter.y;
  if (lx < l.pad || ly < l.pad || ly - l.pad >= l.digit_h) return kPanelColour;
  const std::uint32_t cell = l.digit_w + l.digit_gap;
  const std::uint32_t digit = (lx - l.pad) / cell;
  const std::uint32_t within = (lx - l.pad) % cell;
  if (digit >= TestPattern::kCounterDigits || within >= l.digit_w) return kPanelColour;
  return segment_lit(l, s.digits[digit], within, ly - l.pad) ? kSegmentColour : kPanelColour;
}

// The one definition of the pattern: the renderer and expected_rgba() both call this.
Rgba pattern_pixel(const Layout& l, const FrameState& s, std::uint32_t x, std::uint32_t y) {
  if (contains(s.box, x, y)) return kBoxColour;
  if (contains(l.counter, x, y)) return counter_pixel(l, s, x, y);
  return background(l, x, y);
}

// ---- storing 8-bit RGBA in each KVMFR format ----

// IEEE binary16, round to nearest even. Written out so the result does not depend on F16C.
std::uint16_t float_to_half(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000);
  bits &= 0x7fffffff;
  if (bits >= 0x7f800000)
    return static_cast<std::uint16_t>(sign | (bits > 0x7f800000 ? 0x7e00 : 0x7c00));
  // 65520 and up round to infinity; checked here because the rebias below would overflow.
  if (bits >= 0x477ff000) return static_cast<std::uint16_t>(sign | 0x7c00);
  if (bits < 0x38800000) {  // below 2^-14: a subnormal half, in units of 2^-24
    const float scaled = std::bit_cast<float>(bits) * 16777216.0f;
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(scaled)));
  }
  // Rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even.
  bits += 0xc8000fffu + ((bits >> 13) & 1);
  return static_cast<std::uint16_t>(sign | (bits >> 13));
}

struct Luts {
  std::array<std::uint32_t, 256> ten{};     // 8-bit -> 10-bit, rounded
  std::array<std::uint16_t, 256> linear{};  // 8-bit sRGB -> half of the linear value
  std::array<std::uint16_t, 256> alpha{};   // 8-bit alpha -> half of v/255, no curve
};

const Luts& luts() {
  static const Luts tables = [] {
    Luts t;
    for (std::uint32_t v = 0; v < 256; ++v) {
      // v*1023 mod 255 is never 127.5, so adding 127 rounds to nearest exactly.
      t.ten[v] = (v * 1023 + 127) / 255;
      const double c = v / 255.0;
      const double lin = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
      t.linear[v] = float_to_half(static_cast<float>(lin));
      t.alpha[v] = float_to_half(static_cast<float>(c));
    }
    return t;
  }();
  return tables;
}

void put16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v & 0xff);
  p[1] = static_cast<std::byte>(v >> 8);
}

// One struct per format: bytes per pixel within a row, and how one pixel is stored. The 24-bit
// types are a plain byte stream of 3-byte pixels, so pixel x starts at byte 3x of its row.
struct PutBgra {
  static constexpr std::uint32_t kBytes = 4;
  static void put(std::byte* p, const Rgba& c) {
    p[0] = std::byte{c[2]}, p[1] = std::byte{c[1]}, p[2] = std::byte{c[0]}, p[3] = std::byte{c[3]};
  }
};
struct PutRgba {
  static constexpr std::uint32_t kBytes = 4;
  static void put(std::byte* p, const Rgba& c) {
    p[0] = std::byte{c[0]}, p[1] = std::byte{c[1]}, p[2] = std::byte{c[2]}, p[3] = std::byte{c[3]};
  }
};
struct PutRgba10 {
  static constexpr std::uint32_t kBytes = 4;
  static void put(std::byte* p, const Rgba& c) {
    const auto& ten = luts().ten;
    const std::uint32_t alpha2 = (std::uint32_t{c[3]} * 3 + 127) / 255;
    const std::uint32_t word = ten[c[0]] | ten[c[1]] << 10 | ten[c[2]] << 20 | alpha2 << 30;
    for (std::uint32_t i = 0; i < 4; ++i) p[i] = static_cast<std::byte>((word >> (8 * i)) & 0xff);
  }
};
struct PutRgba16f {
  static constexpr std::uint32_t kBytes = 8;
  static void put(std::byte* p, const Rgba& c) {
    const Luts& t = luts();
    put16(p, t.linear[c[0]]);
    put16(p + 2, t.linear[c[1]]);
    put16(p + 4, t.linear[c[2]]);
    put16(p + 6, t.alpha[c[3]]);  // alpha is coverage, not a colour: no sRGB curve
  }
};
struct PutBgr24 {
  static constexpr std::uint32_t kBytes = 3;
  static void put(std::byte* p, const Rgba& c) {
    p[0] = std::byte{c[2]}, p[1] = std::byte{c[1]}, p[2] = std::byte{c[0]};
  }
};
struct PutRgb24 {
  static constexpr std::uint32_t kBytes = 3;
  static void put(std::byte* p, const Rgba& c) {
    p[0] = std::byte{c[0]}, p[1] = std::byte{c[1]}, p[2] = std::byte{c[2]};
  }
};

template <typename Put>
void render_rects(std::span<std::byte> buffer, std::uint32_t pitch, const Layout& l,
                  const FrameState& s, std::span<const b7::DamageRect> rects) {
  for (const auto& r : rects) {
    for (std::uint32_t y = r.y; y < r.y + r.height; ++y) {
      std::byte* row = buffer.data() + std::size_t{y} * pitch;
      for (std::uint32_t x = r.x; x < r.x + r.width; ++x) {
        Put::put(row + std::size_t{x} * Put::kBytes, pattern_pixel(l, s, x, y));
      }
    }
  }
}

// ---- the cursor: a white arrow with a black outline and a soft shadow ----

bool arrow_inside(int x, int y) {
  if (x < 0 || y < 0 || x >= 32 || y >= 32) return false;
  const bool head = x <= y && 8 * y + 3 * x <= 176;  // triangle (0,0), (0,22), (16,16)
  const bool stem = y >= 14 && y <= 28 && 2 * x >= y - 6 && 2 * x <= y + 2;  // slants down-right
  return head || stem;
}

bool arrow_outline(int x, int y) {
  if (arrow_inside(x, y)) return false;
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      if (arrow_inside(x + dx, y + dy)) return true;
    }
  }
  return false;
}

std::array<std::byte, std::size_t{TestPattern::kCursorSize} * TestPattern::kCursorSize * 4>
make_cursor() {
  std::array<std::byte, std::size_t{TestPattern::kCursorSize} * TestPattern::kCursorSize * 4> px{};
  constexpr int kSize = static_cast<int>(TestPattern::kCursorSize);
  for (int y = 0; y < kSize; ++y) {
    for (int x = 0; x < kSize; ++x) {
      Rgba bgra{0, 0, 0, 0};
      if (arrow_inside(x, y)) {
        bgra = {255, 255, 255, 255};
      } else if (arrow_outline(x, y)) {
        bgra = {0, 0, 0, 255};
      } else if (arrow_inside(x - 2, y - 2) || arrow_outline(x - 2, y - 2)) {
        bgra = {0, 0, 0, 80};  // partial alpha: shows whether a viewer really blends
      }
      const auto at = static_cast<std::size_t>((y * kSize + x) * 4);
      for (std::size_t i = 0; i < 4; ++i) px[at + i] = std::byte{bgra[i]};
    }
  }
  return px;
}

}  // namespace

// ---- construction ----

Status TestPattern::validate(const Options& options) {
  if (options.width == 0 || options.width > kMaxDimension) {
    return fail(ErrorCode::kInvalidArgument, "test pattern: width {} is outside 1..{}",
                options.width, kMaxDimension);
  }
  if (options.height == 0 || options.height > kMaxDimension) {
    return fail(ErrorCode::kInvalidArgument, "test pattern: height {} is outside 1..{}",
                options.height, kMaxDimension);
  }
  if (!b7::is_valid_frame_type(static_cast<std::uint32_t>(options.type))) {
    return fail(ErrorCode::kInvalidArgument, "test pattern: frame type {} is not a KVMFR type",
                static_cast<std::uint32_t>(options.type));
  }
  if (!std::isfinite(options.fps)) {
    return fail(ErrorCode::kInvalidArgument, "test pattern: fps must be finite (<= 0: unpaced)");
  }
  return {};
}

Result<std::unique_ptr<TestPattern>> TestPattern::create(const Options& options) {
  if (auto ok = validate(options); !ok) return tl::unexpected(ok.error());
  return std::make_unique<TestPattern>(options);
}

TestPattern::TestPattern(const Options& options) : options_(options) {
  if (auto ok = validate(options); !ok) throw std::invalid_argument(ok.error().message);
  pitch_ = pitch_bytes(options);
  // Zeroed, so the padding at the end of packed 24-bit rows is deterministic.
  buffer_.resize(std::size_t{pitch_} * options.height);
  if (options.fps > 0) {
    period_ = Nanoseconds(static_cast<std::int64_t>(std::llround(1e9 / options.fps)));
  }
}

std::uint32_t TestPattern::pitch_bytes(const Options& options) {
  if (b7::is_packed_24bit(options.type)) return b7::packed_texels(options.width) * 4;
  return options.width * b7::texel_bytes(options.type);
}

// ---- the pattern as pure functions ----

std::array<std::uint8_t, 4> TestPattern::expected_rgba(const Options& options,
                                                       std::uint64_t frame_index, std::uint32_t x,
                                                       std::uint32_t y) {
  const Layout l = make_layout(options);
  return pattern_pixel(l, make_state(l, frame_index), x, y);
}

b7::DamageRect TestPattern::box_rect(const Options& options, std::uint64_t frame_index) {
  return box_at(make_layout(options), frame_index);
}

b7::DamageRect TestPattern::counter_rect(const Options& options) {
  return make_layout(options).counter;
}

std::vector<b7::DamageRect> TestPattern::damage(const Options& options, std::uint64_t frame_index) {
  std::vector<b7::DamageRect> rects;
  if (frame_index == 0) return rects;
  const Layout l = make_layout(options);
  const b7::DamageRect before = box_at(l, frame_index - 1);
  const b7::DamageRect after = box_at(l, frame_index);
  if (before.x != after.x) {
    const std::uint32_t left = std::min(before.x, after.x);
    const std::uint32_t right = std::max(before.x, after.x);
    if (right - left <= l.box_w) {
      // Same row band, overlapping or touching: their union is one rect.
      rects.push_back({left, l.box_y, right + l.box_w - left, l.box_h});
    } else {
      rects.push_back(before);
      rects.push_back(after);
    }
  }
  // Every frame changes at least the last digit; redrawing the whole panel keeps it one rect.
  rects.push_back(l.counter);
  return rects;
}

std::pair<int, int> TestPattern::cursor_position(const Options& options,
                                                 std::uint64_t frame_index) {
  const double radius = std::min(options.width, options.height) / 4.0;
  const double angle = 2.0 * std::numbers::pi *
                       static_cast<double>(frame_index % kCursorTurnFrames) /
                       static_cast<double>(kCursorTurnFrames);
  const auto cx = static_cast<long>(options.width / 2);
  const auto cy = static_cast<long>(options.height / 2);
  return {static_cast<int>(cx + std::lround(radius * std::cos(angle))),
          static_cast<int>(cy + std::lround(radius * std::sin(angle)))};
}

std::span<const std::byte> TestPattern::cursor_shape_bgra() {
  static const auto shape = make_cursor();
  return shape;
}

// ---- the capture source ----

void TestPattern::render(const Options& options, std::span<std::byte> buffer,
                         std::span<const b7::DamageRect> rects, std::uint64_t frame_index) {
  const Layout l = make_layout(options);
  const FrameState s = make_state(l, frame_index);
  const std::uint32_t pitch = pitch_bytes(options);
  const b7::DamageRect whole{0, 0, options.width, options.height};
  if (rects.empty()) rects = std::span(&whole, 1);
  switch (options.type) {
    case b7::FrameType::kBgra:
      return render_rects<PutBgra>(buffer, pitch, l, s, rects);
    case b7::FrameType::kRgba:
      return render_rects<PutRgba>(buffer, pitch, l, s, rects);
    case b7::FrameType::kRgba10:
      return render_rects<PutRgba10>(buffer, pitch, l, s, rects);
    case b7::FrameType::kRgba16f:
      return render_rects<PutRgba16f>(buffer, pitch, l, s, rects);
    case b7::FrameType::kBgr32:
      return render_rects<PutBgr24>(buffer, pitch, l, s, rects);
    case b7::FrameType::kRgb24:
      return render_rects<PutRgb24>(buffer, pitch, l, s, rects);
    case b7::FrameType::kInvalid:
      break;  // rejected by validate()
  }
}

std::vector<std::byte> TestPattern::render_frame(const Options& options,
                                                 std::uint64_t frame_index) {
  std::vector<std::byte> buffer(std::size_t{pitch_bytes(options)} * options.height);
  render(options, buffer, {}, frame_index);
  return buffer;
}

CaptureStatus TestPattern::capture_frame(Nanoseconds timeout, CapturedFrame& frame) {
  const bool paced = period_ > Nanoseconds::zero();
  if (paced && next_due_) {
    const auto wait = std::chrono::duration_cast<Nanoseconds>(*next_due_ - Clock::now());
    if (wait > timeout) {
      precise_sleep(timeout);
      return CaptureStatus::kTimeout;
    }
    precise_sleep(wait);
  }

  const std::uint64_t index = frames_.load(std::memory_order_relaxed);
  frame.damage = damage(options_, index);
  // Frame 0 draws everything; later frames redraw only their damage over the previous frame.
  render(options_, buffer_, frame.damage, index);

  if (paced) {
    const TimePoint now = Clock::now();
    TimePoint due = next_due_.value_or(now);
    // More than a period late (the caller stalled): restart the schedule rather than burst.
    if (now - due > period_) due = now;
    next_due_ = due + period_;
  }
  frames_.store(index + 1, std::memory_order_release);

  frame.type = options_.type;
  frame.width = options_.width;
  frame.height = options_.height;
  frame.pitch = pitch_;
  frame.pixels = std::as_bytes(std::span(buffer_));
  frame.index = index;
  return CaptureStatus::kOk;
}

std::optional<CapturedCursor> TestPattern::poll_cursor() {
  const std::uint64_t produced = frames_.load(std::memory_order_acquire);
  const auto position = cursor_position(options_, produced == 0 ? 0 : produced - 1);
  const bool send_shape = !cursor_shape_sent_;
  if (!send_shape && position == last_cursor_) return std::nullopt;
  cursor_shape_sent_ = true;
  last_cursor_ = position;

  CapturedCursor cursor;
  cursor.visible = true;
  cursor.x = static_cast<std::int16_t>(position.first);
  cursor.y = static_cast<std::int16_t>(position.second);
  if (send_shape) {
    cursor.shape =
        CapturedCursorShape{b7::CursorType::kColor, kCursorSize, kCursorSize, kCursorSize * 4, 0, 0,
                            cursor_shape_bgra()};
  }
  return cursor;
}

}  // namespace periscope::capture
