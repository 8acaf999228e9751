// The test-pattern capture source. The stored formats are decoded here independently of the
// encoder (straight from the KVMFR definitions), so a wrong byte order, rounding or packing in
// the source shows up as a pixel that disagrees with expected_rgba().
#include "capture/test_pattern.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "relay/frame_format.hpp"

namespace periscope::capture {
namespace {

using Rgba = std::array<std::uint8_t, 4>;
using Options = TestPattern::Options;
using Size = std::pair<std::uint32_t, std::uint32_t>;

constexpr b7::FrameType kAllTypes[] = {b7::FrameType::kBgra,   b7::FrameType::kRgba,
                                       b7::FrameType::kRgba10, b7::FrameType::kRgba16f,
                                       b7::FrameType::kBgr32,  b7::FrameType::kRgb24};

std::uint8_t byte_at(std::span<const std::byte> row, std::size_t i) {
  return std::to_integer<std::uint8_t>(row[i]);
}

// IEEE binary16 -> double, written from the definition.
double half_to_double(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) {
    return mantissa ? std::numeric_limits<double>::quiet_NaN()
                    : sign * std::numeric_limits<double>::infinity();
  }
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

// What a viewer does with an RGBA16F sample: apply the sRGB OETF and round to 8 bits.
std::uint8_t srgb_encode(double linear) {
  const double c = linear <= 0.0031308 ? linear * 12.92 : 1.055 * std::pow(linear, 1 / 2.4) - 0.055;
  return static_cast<std::uint8_t>(std::lround(std::clamp(c, 0.0, 1.0) * 255.0));
}

// The 8-bit RGBA of pixel (x, y) of a stored frame, following spec section 5.1.
Rgba decode(const CapturedFrame& f, std::uint32_t x, std::uint32_t y) {
  const auto row = f.pixels.subspan(std::size_t{y} * f.pitch, f.pitch);
  switch (f.type) {
    case b7::FrameType::kBgra:
      return {byte_at(row, 4 * x + 2), byte_at(row, 4 * x + 1), byte_at(row, 4 * x),
              byte_at(row, 4 * x + 3)};
    case b7::FrameType::kRgba:
      return {byte_at(row, 4 * x), byte_at(row, 4 * x + 1), byte_at(row, 4 * x + 2),
              byte_at(row, 4 * x + 3)};
    case b7::FrameType::kRgba10: {
      std::uint32_t word = 0;
      for (std::uint32_t i = 0; i < 4; ++i)
        word |= std::uint32_t{byte_at(row, 4 * x + i)} << (8 * i);
      const auto to8 = [](std::uint32_t v10) {
        return static_cast<std::uint8_t>((v10 * 255 + 511) / 1023);
      };
      return {to8(word & 0x3ff), to8((word >> 10) & 0x3ff), to8((word >> 20) & 0x3ff),
              static_cast<std::uint8_t>((word >> 30) * 85)};
    }
    case b7::FrameType::kRgba16f: {
      std::array<double, 4> v{};
      for (std::uint32_t i = 0; i < 4; ++i) {
        const auto lo = byte_at(row, 8 * x + 2 * i);
        const auto hi = byte_at(row, 8 * x + 2 * i + 1);
        v[i] = half_to_double(static_cast<std::uint16_t>(lo | hi << 8));
      }
      return {srgb_encode(v[0]), srgb_encode(v[1]), srgb_encode(v[2]),
              static_cast<std::uint8_t>(std::lround(v[3] * 255.0))};
    }
    case b7::FrameType::kBgr32:
      return {byte_at(row, 3 * x + 2), byte_at(row, 3 * x + 1), byte_at(row, 3 * x), 255};
    case b7::FrameType::kRgb24:
      return {byte_at(row, 3 * x), byte_at(row, 3 * x + 1), byte_at(row, 3 * x + 2), 255};
    case b7::FrameType::kInvalid:
      break;
  }
  return {};
}

std::string describe(const Rgba& c) {
  return fmt::format("({},{},{},{})", c[0], c[1], c[2], c[3]);
}

// Counts pixels of `f` that differ from expected_rgba, reporting the first one.
std::size_t mismatches(const Options& o, const CapturedFrame& f) {
  std::size_t bad = 0;
  for (std::uint32_t y = 0; y < o.height; ++y) {
    for (std::uint32_t x = 0; x < o.width; ++x) {
      const Rgba want = TestPattern::expected_rgba(o, f.index, x, y);
      const Rgba got = decode(f, x, y);
      if (got != want && bad++ == 0) {
        ADD_FAILURE() << b7::frame_type_name(o.type) << " frame " << f.index << " (" << x << ","
                      << y << "): got " << describe(got) << ", want " << describe(want);
      }
    }
  }
  return bad;
}

bool inside(const b7::DamageRect& r, std::uint32_t x, std::uint32_t y) {
  return x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
}

bool inside_any(const std::vector<b7::DamageRect>& rects, std::uint32_t x, std::uint32_t y) {
  return std::any_of(rects.begin(), rects.end(), [&](const auto& r) { return inside(r, x, y); });
}

// ---- every format ----

class TestPatternFormat : public ::testing::TestWithParam<b7::FrameType> {};

TEST_P(TestPatternFormat, EveryPixelMatchesExpectedRgba) {
  // 97 is odd and 97*3 is not a multiple of 4, so packed rows end in a partial texel. 130
  // frames take the box (86 positions at this width) through a wrap.
  const Options o{97, 61, 0, GetParam()};
  TestPattern source(o);
  CapturedFrame frame;
  for (std::uint64_t n = 0; n < 130; ++n) {
    ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
    ASSERT_EQ(frame.index, n);
    ASSERT_EQ(frame.type, o.type);
    ASSERT_EQ(frame.width, 97u);
    ASSERT_EQ(frame.height, 61u);
    ASSERT_EQ(frame.pixels.size(), std::size_t{frame.pitch} * 61);
    ASSERT_EQ(mismatches(o, frame), 0u) << "frame " << n;
  }
}

TEST_P(TestPatternFormat, PitchFollowsTheStoredLayout) {
  const Options o{97, 61, 0, GetParam()};
  const std::uint32_t want = b7::is_packed_24bit(o.type)         ? 73 * 4  // ceil(97*3/4) texels
                             : o.type == b7::FrameType::kRgba16f ? 97 * 8
                                                                 : 97 * 4;
  TestPattern source(o);
  CapturedFrame frame;
  ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
  EXPECT_EQ(frame.pitch, want);
  EXPECT_EQ(TestPattern::pitch_bytes(o), want);
  if (b7::is_packed_24bit(o.type)) {  // the texel padding after the last pixel stays zero
    for (std::uint32_t y = 0; y < o.height; ++y) {
      EXPECT_EQ(byte_at(frame.pixels, std::size_t{y} * want + want - 1), 0) << "row " << y;
    }
  }
}

TEST_P(TestPatternFormat, DamageOnlyRedrawEqualsAFreshRender) {
  // 333 wide: the box steps 2 pixels over 293 positions and wraps at frame 147.
  const Options o{333, 200, 0, GetParam()};
  TestPattern source(o);
  CapturedFrame frame;
  for (std::uint64_t n = 0; n < 160; ++n) {
    ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
    const std::vector<std::byte> fresh = TestPattern::render_frame(o, n);
    ASSERT_EQ(frame.pixels.size(), fresh.size());
    ASSERT_TRUE(std::memcmp(frame.pixels.data(), fresh.data(), fresh.size()) == 0)
        << b7::frame_type_name(o.type) << " frame " << n;
  }
}

TEST_P(TestPatternFormat, TinyFramesClipEverything) {
  for (const auto& [w, h] : {Size{1, 1}, Size{2, 3}, Size{5, 1}, Size{1, 17}, Size{13, 9}}) {
    const Options o{w, h, 0, GetParam()};
    TestPattern source(o);
    CapturedFrame frame;
    for (std::uint64_t n = 0; n < 20; ++n) {
      ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
      ASSERT_EQ(mismatches(o, frame), 0u) << w << "x" << h << " frame " << n;
      EXPECT_EQ(frame.damage.empty(), n == 0) << w << "x" << h << " frame " << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TestPattern, TestPatternFormat, ::testing::ValuesIn(kAllTypes),
                         [](const auto& param) {
                           return std::string(b7::frame_type_name(param.param));
                         });

// ---- the conversions, for all 256 values ----

TEST(TestPattern, EveryEightBitValueSurvivesTheWideFormats) {
  // Grey ramp of a 256-wide frame: x*255/255 = x, so row 33 (below the bars, above the
  // counter at row 40) holds every value once, bar the azure grid columns 0, 64, 128, 192.
  for (const auto type : {b7::FrameType::kRgba10, b7::FrameType::kRgba16f}) {
    const Options o{256, 64, 0, type};
    TestPattern source(o);
    CapturedFrame frame;
    ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
    for (std::uint32_t x = 0; x < 256; ++x) {
      if (x % 64 == 0) continue;
      const auto v = static_cast<std::uint8_t>(x);
      EXPECT_EQ(decode(frame, x, 33), (Rgba{v, v, v, 255}))
          << b7::frame_type_name(type) << " " << x;
      // Round-tripping alone would also pass a truncating encoder: check the stored values.
      const auto* texel = frame.pixels.data() + std::size_t{33} * frame.pitch;
      if (type == b7::FrameType::kRgba10) {
        std::uint32_t word = 0;
        std::memcpy(&word, texel + 4 * x, 4);  // little-endian host
        EXPECT_EQ(word & 0x3ff, std::lround(v * 1023.0 / 255.0)) << "10-bit value of " << x;
      } else {
        std::uint16_t half = 0;
        std::memcpy(&half, texel + 8 * x, 2);
        const double c = v / 255.0;
        const double linear = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
        EXPECT_NEAR(half_to_double(half), linear, linear * std::ldexp(1.0, -11))
            << "nearest half of sRGB-decoded " << x;
      }
    }
  }
}

TEST(TestPattern, Rgba10StoresTheRoundedTenBitValue) {
  const Options o{8, 2, 0, b7::FrameType::kRgba10};  // bar 1 is yellow: R=G=255, B=0
  TestPattern source(o);
  CapturedFrame frame;
  ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
  std::uint32_t word = 0;
  std::memcpy(&word, frame.pixels.data() + 4, 4);  // little-endian host
  EXPECT_EQ(word, 0x3ffu | 0x3ffu << 10 | 0u << 20 | 3u << 30);
}

TEST(TestPattern, Rgba16fAlphaIsOne) {
  const Options o{4, 4, 0, b7::FrameType::kRgba16f};
  TestPattern source(o);
  CapturedFrame frame;
  ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
  EXPECT_EQ(byte_at(frame.pixels, 6), 0x00);  // 1.0 = 0x3c00, little-endian
  EXPECT_EQ(byte_at(frame.pixels, 7), 0x3c);
  EXPECT_EQ(byte_at(frame.pixels, 0), 0x00);  // white: linear 1.0 too
  EXPECT_EQ(byte_at(frame.pixels, 1), 0x3c);
}

// ---- what the pattern looks like ----

TEST(TestPattern, BackgroundIsBarsOverAGreyRampWithAGrid) {
  const Options o{800, 600, 0, b7::FrameType::kBgra};
  const auto at = [&](std::uint32_t x, std::uint32_t y) {
    return TestPattern::expected_rgba(o, 0, x, y);
  };
  EXPECT_EQ(at(0, 0), (Rgba{255, 255, 255, 255}));      // white bar
  EXPECT_EQ(at(150, 10), (Rgba{255, 255, 0, 255}));     // yellow
  EXPECT_EQ(at(250, 10), (Rgba{0, 255, 255, 255}));     // cyan
  EXPECT_EQ(at(799, 299), (Rgba{0, 0, 0, 255}));        // black, last row of the top half
  EXPECT_EQ(at(64, 500), (Rgba{0, 128, 255, 255}));     // grid column
  EXPECT_EQ(at(70, 448), (Rgba{0, 128, 255, 255}));     // grid row (448 = 7*64)
  EXPECT_EQ(at(799, 301), (Rgba{255, 255, 255, 255}));  // ramp ends white
  EXPECT_EQ(at(1, 301), (Rgba{0, 0, 0, 255}));          // and starts black
  EXPECT_EQ(at(700, 590), at(700, 591));                // a vertical ramp, constant down
}

TEST(TestPattern, BoxMovesAndWrapsInsideTheFrame) {
  const Options o{800, 600, 0, b7::FrameType::kBgra};
  const b7::DamageRect b0 = TestPattern::box_rect(o, 0);
  EXPECT_EQ(b0.x, 0u);
  EXPECT_EQ(b0.width, 100u);
  EXPECT_EQ(b0.height, 75u);
  EXPECT_EQ(TestPattern::box_rect(o, 1).x, 5u);  // 800/160 pixels per frame
  for (std::uint64_t n = 0; n < 1000; ++n) {
    const b7::DamageRect b = TestPattern::box_rect(o, n);
    ASSERT_LE(b.x + b.width, o.width) << n;
    EXPECT_EQ(TestPattern::expected_rgba(o, n, b.x + b.width / 2, b.y + b.height / 2),
              (Rgba{255, 128, 0, 255}));
  }
  EXPECT_LT(TestPattern::box_rect(o, 141).x, TestPattern::box_rect(o, 140).x);  // wrapped
}

// Reads the counter the way a screenshot check would: samples the middle of each segment.
std::uint64_t read_counter(const Options& o, std::uint64_t n) {
  const std::uint32_t dh = std::max(7u, o.height / 16);
  const std::uint32_t t = std::max(1u, dh / 8);
  const std::uint32_t dw = std::max(3 * t, dh / 2);
  const std::uint32_t mid = (dh - t) / 2;
  const b7::DamageRect panel = TestPattern::counter_rect(o);
  // a b c d e f g, as (x, y) within the digit cell.
  const std::uint32_t probes[7][2] = {{dw / 2, 0},      {dw - 1, dh / 4}, {dw - 1, 3 * dh / 4},
                                      {dw / 2, dh - 1}, {0, 3 * dh / 4},  {0, dh / 4},
                                      {dw / 2, mid}};
  constexpr std::uint8_t kSegments[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66,
                                          0x6d, 0x7d, 0x07, 0x7f, 0x6f};
  std::uint64_t value = 0;
  for (std::uint32_t d = 0; d < TestPattern::kCounterDigits; ++d) {
    std::uint8_t lit = 0;
    for (std::uint32_t s = 0; s < 7; ++s) {
      const std::uint32_t x = panel.x + t + d * (dw + 2 * t) + probes[s][0];
      const std::uint32_t y = panel.y + t + probes[s][1];
      if (TestPattern::expected_rgba(o, n, x, y) == Rgba{0, 255, 0, 255}) {
        lit = static_cast<std::uint8_t>(lit | 1u << s);
      }
    }
    const auto* digit = std::find(std::begin(kSegments), std::end(kSegments), lit);
    if (digit == std::end(kSegments)) return ~std::uint64_t{0};
    value = value * 10 + static_cast<std::uint64_t>(digit - std::begin(kSegments));
  }
  return value;
}

TEST(TestPattern, CounterShowsTheFrameIndexInSevenSegments) {
  for (const auto& [w, h] : {Size{97, 61}, Size{1920, 1080}, Size{3840, 2160}}) {
    const Options o{w, h, 0, b7::FrameType::kBgra};
    for (const std::uint64_t n : {0ull, 1ull, 1234567ull, 23456789ull, 98765432ull}) {
      EXPECT_EQ(read_counter(o, n), n) << w << "x" << h;
    }
    EXPECT_EQ(read_counter(o, 100000007), 7u) << "mod 10^8";
  }
}

// ---- damage ----

TEST(TestPattern, DamageIsExactlyOldBoxNewBoxAndCounter) {
  for (const auto& [w, h] : {Size{97, 61}, Size{333, 200}, Size{2, 3}}) {
    const Options o{w, h, 0, b7::FrameType::kBgra};
    TestPattern source(o);
    CapturedFrame frame;
    ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
    EXPECT_TRUE(frame.damage.empty()) << "frame 0 is all damage";
    std::vector<std::byte> previous(frame.pixels.begin(), frame.pixels.end());
    for (std::uint64_t n = 1; n < 200; ++n) {
      ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
      ASSERT_FALSE(frame.damage.empty());
      ASSERT_LE(frame.damage.size(), 8u);
      for (const auto& r : frame.damage) {
        ASSERT_GT(r.width, 0u);
        ASSERT_GT(r.height, 0u);
        ASSERT_LE(r.x + r.width, w);
        ASSERT_LE(r.y + r.height, h);
      }
      const b7::DamageRect before = TestPattern::box_rect(o, n - 1);
      const b7::DamageRect after = TestPattern::box_rect(o, n);
      const bool moved = before.x != after.x;
      const b7::DamageRect counter = TestPattern::counter_rect(o);
      CapturedFrame old = frame;
      old.pixels = previous;
      for (std::uint32_t y = 0; y < h; ++y) {
        for (std::uint32_t x = 0; x < w; ++x) {
          const bool damaged = inside_any(frame.damage, x, y);
          const bool want =
              (moved && (inside(before, x, y) || inside(after, x, y))) || inside(counter, x, y);
          ASSERT_EQ(damaged, want)
              << w << "x" << h << " frame " << n << " (" << x << "," << y << ")";
          if (decode(old, x, y) != decode(frame, x, y)) {
            ASSERT_TRUE(damaged) << "changed outside the damage: frame " << n << " (" << x << ","
                                 << y << ")";
          }
        }
      }
      const auto reported = TestPattern::damage(o, n);
      ASSERT_EQ(frame.damage.size(), reported.size());
      for (std::size_t i = 0; i < reported.size(); ++i) {
        EXPECT_EQ(std::memcmp(&frame.damage[i], &reported[i], sizeof(b7::DamageRect)), 0);
      }
      previous.assign(frame.pixels.begin(), frame.pixels.end());
    }
  }
}

// ---- pacing ----

TEST(TestPattern, PacingReturnsTimeoutWhenTheFrameIsNotDueYet) {
  TestPattern source({64, 64, 20.0, b7::FrameType::kBgra});  // 50 ms per frame
  CapturedFrame frame;
  const TimePoint start = Clock::now();
  ASSERT_EQ(source.capture_frame(Milliseconds(1000), frame), CaptureStatus::kOk);
  EXPECT_LT(Clock::now() - start, Milliseconds(40)) << "the first frame is due at once";

  const TimePoint before = Clock::now();
  EXPECT_EQ(source.capture_frame(Milliseconds(5), frame), CaptureStatus::kTimeout);
  const auto waited = Clock::now() - before;
  EXPECT_GE(waited, Milliseconds(5)) << "sleeps the whole timeout";
  EXPECT_LT(waited, Milliseconds(45)) << "but no longer";
  EXPECT_EQ(frame.index, 0u) << "a timeout leaves the frame alone";

  ASSERT_EQ(source.capture_frame(Milliseconds(1000), frame), CaptureStatus::kOk);
  EXPECT_EQ(frame.index, 1u);
  EXPECT_GE(Clock::now() - start, Milliseconds(49)) << "frame 1 waits for its time";
}

TEST(TestPattern, ZeroFpsIsUnpaced) {
  TestPattern source({64, 64, 0, b7::FrameType::kBgra});
  CapturedFrame frame;
  const TimePoint start = Clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
  }
  EXPECT_EQ(frame.index, 99u);
  EXPECT_LT(Clock::now() - start, Milliseconds(500));
}

// ---- options ----

TEST(TestPattern, RejectsBadOptions) {
  struct Case {
    Options options;
    const char* mentions;
  };
  const Case cases[] = {
      {{0, 600, 60, b7::FrameType::kBgra}, "width 0"},
      {{800, 0, 60, b7::FrameType::kBgra}, "height 0"},
      {{16385, 600, 60, b7::FrameType::kBgra}, "width 16385"},
      {{800, 16385, 60, b7::FrameType::kBgra}, "height 16385"},
      {{800, 600, 60, b7::FrameType::kInvalid}, "frame type"},
      {{800, 600, 60, static_cast<b7::FrameType>(7)}, "frame type"},
      {{800, 600, std::numeric_limits<double>::quiet_NaN(), b7::FrameType::kBgra}, "fps"},
  };
  for (const auto& c : cases) {
    const auto status = TestPattern::validate(c.options);
    ASSERT_FALSE(status) << c.mentions;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find(c.mentions), std::string::npos) << status.error().message;
    EXPECT_FALSE(TestPattern::create(c.options));
    EXPECT_THROW(TestPattern{c.options}, std::invalid_argument);
  }
  EXPECT_TRUE(TestPattern::validate({16384, 1, 60, b7::FrameType::kRgba16f}));
  EXPECT_TRUE(TestPattern::validate({1, 16384, -1, b7::FrameType::kRgb24}));
  const auto made = TestPattern::create({16384, 2, 0, b7::FrameType::kBgr32});
  ASSERT_TRUE(made);
  EXPECT_EQ((*made)->name(), "test-pattern");
}

// ---- cursor ----

TEST(TestPattern, CursorShapeOnceThenPositionUpdates) {
  const Options o{800, 600, 0, b7::FrameType::kBgra};
  TestPattern source(o);

  const auto first = source.poll_cursor();
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->shape);
  EXPECT_TRUE(first->visible);
  const auto [x0, y0] = TestPattern::cursor_position(o, 0);
  EXPECT_EQ(first->x, x0);
  EXPECT_EQ(first->y, y0);
  EXPECT_EQ(first->shape->type, b7::CursorType::kColor);
  EXPECT_EQ(first->shape->width, 32u);
  EXPECT_EQ(first->shape->height, 32u);
  EXPECT_EQ(first->shape->pitch, 128u);
  EXPECT_EQ(first->shape->hotspot_x, 0);
  EXPECT_EQ(first->shape->hotspot_y, 0);
  const auto shape = TestPattern::cursor_shape_bgra();
  ASSERT_EQ(first->shape->pixels.size(), 32u * 32u * 4u);
  EXPECT_TRUE(std::equal(shape.begin(), shape.end(), first->shape->pixels.begin()));

  EXPECT_FALSE(source.poll_cursor()) << "nothing moved yet";

  CapturedFrame frame;
  ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
  EXPECT_FALSE(source.poll_cursor()) << "frame 0 is where the cursor already is";
  ASSERT_EQ(source.capture_frame(Nanoseconds::zero(), frame), CaptureStatus::kOk);
  const auto moved = source.poll_cursor();
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->shape) << "the shape is sent once";
  const auto [x1, y1] = TestPattern::cursor_position(o, 1);
  EXPECT_NE(std::pair(x1, y1), std::pair(x0, y0));
  EXPECT_EQ(moved->x, x1);
  EXPECT_EQ(moved->y, y1);
  EXPECT_FALSE(source.poll_cursor());
}

TEST(TestPattern, CursorCirclesTheCentre) {
  const Options o{800, 600, 0, b7::FrameType::kBgra};
  for (std::uint64_t n = 0; n < 480; n += 7) {
    const auto [x, y] = TestPattern::cursor_position(o, n);
    EXPECT_NEAR(std::hypot(x - 400, y - 300), 150.0, 1.0) << n;
  }
  EXPECT_EQ(TestPattern::cursor_position(o, 0), TestPattern::cursor_position(o, 240));
  EXPECT_EQ(TestPattern::cursor_position(o, 0), (std::pair{550, 300}));
  EXPECT_EQ(TestPattern::cursor_position(o, 60), (std::pair{400, 450}));
}

TEST(TestPattern, CursorShapeIsAnOutlinedArrowWithAShadow) {
  const auto shape = TestPattern::cursor_shape_bgra();
  ASSERT_EQ(shape.size(), 32u * 32u * 4u);
  const auto px = [&](std::size_t x, std::size_t y) {
    const std::size_t at = (y * 32 + x) * 4;
    return Rgba{byte_at(shape, at), byte_at(shape, at + 1), byte_at(shape, at + 2),
                byte_at(shape, at + 3)};
  };
  EXPECT_EQ(px(0, 0), (Rgba{255, 255, 255, 255})) << "the hotspot is the arrow's tip";
  EXPECT_EQ(px(31, 0), (Rgba{0, 0, 0, 0})) << "transparent beside the tip";
  EXPECT_EQ(px(31, 31), (Rgba{0, 0, 0, 0}));
  EXPECT_EQ(px(2, 1), (Rgba{0, 0, 0, 255})) << "outlined";
  bool partial = false;
  for (std::size_t i = 3; i < shape.size(); i += 4) {
    const auto a = byte_at(shape, i);
    partial = partial || (a != 0 && a != 255);
  }
  EXPECT_TRUE(partial) << "a soft shadow exercises alpha blending";
}

}  // namespace
}  // namespace periscope::capture
