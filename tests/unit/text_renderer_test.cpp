#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "viewer/text_renderer.hpp"

namespace periscope::viewer {
namespace {

using image::Rgba;
using image::RgbaImage;

constexpr Rgba kOrange{250, 120, 10, 255};

TextRenderer open_or_die(int pixel_height = 16) {
  auto text = TextRenderer::open(pixel_height);
  if (!text) {
    ADD_FAILURE() << text.error().message;
    std::abort();
  }
  return std::move(*text);
}

// Sets an environment variable for one scope and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(TextRenderer, MoreCharactersAreWider) {
  const TextRenderer text = open_or_die();
  const RgbaImage one = text.render("8", kOrange);
  const RgbaImage two = text.render("88", kOrange);
  ASSERT_TRUE(one.valid());
  ASSERT_TRUE(two.valid());
  EXPECT_GT(one.width, 0U);
  EXPECT_GT(two.width, one.width);
  EXPECT_EQ(two.height, one.height);
  EXPECT_EQ(static_cast<int>(one.height), text.line_height());
  EXPECT_EQ(text.text_width("8"), static_cast<int>(one.width));
  EXPECT_EQ(text.text_width("88"), static_cast<int>(two.width));
}

TEST(TextRenderer, DrawsTheRequestedColourOnATransparentBackground) {
  const TextRenderer text = open_or_die();
  const RgbaImage image = text.render("H#", kOrange);
  ASSERT_TRUE(image.valid());
  int solid = 0;
  int clear = 0;
  for (std::uint32_t y = 0; y < image.height; ++y) {
    for (std::uint32_t x = 0; x < image.width; ++x) {
      const Rgba p = image.at(x, y);
      if (p.a == 255) ++solid;
      if (p.a == 0) ++clear;
      // Straight alpha: coverage is in alpha only, every drawn pixel has the full colour.
      if (p.a != 0) {
        ASSERT_EQ((Rgba{p.r, p.g, p.b, 255}), kOrange) << "at " << x << "," << y;
      }
    }
  }
  EXPECT_GT(solid, 10);
  EXPECT_GT(clear, solid);
  // The top row lies above the capitals: background only.
  for (std::uint32_t x = 0; x < image.width; ++x) EXPECT_EQ(image.at(x, 0).a, 0) << x;
}

TEST(TextRenderer, ColourAlphaScalesCoverage) {
  const TextRenderer text = open_or_die();
  const RgbaImage image = text.render("H", Rgba{255, 255, 255, 100});
  std::uint8_t max_alpha = 0;
  for (std::size_t i = 3; i < image.rgba.size(); i += 4) {
    max_alpha = std::max(max_alpha, image.rgba[i]);
  }
  EXPECT_EQ(max_alpha, 100);
}

TEST(TextRenderer, EmptyTextGivesAnEmptyImage) {
  const TextRenderer text = open_or_die();
  const RgbaImage image = text.render("", kOrange);
  EXPECT_EQ(image.width, 0U);
  EXPECT_EQ(image.height, 0U);
  EXPECT_TRUE(image.valid());
  EXPECT_EQ(text.text_width(""), 0);
}

TEST(TextRenderer, InvalidUtf8DoesNotCrash) {
  const TextRenderer text = open_or_die();
  for (const std::string_view bad :
       {std::string_view("\xff\xfe"), std::string_view("a\xc3("), std::string_view("ok\xe2\x82"),
        std::string_view("\xf4\x90\x80\x80"), std::string_view("\0x", 2)}) {
    const RgbaImage image = text.render(bad, kOrange);
    EXPECT_TRUE(image.valid());
    EXPECT_GE(text.text_width(bad), 0);
  }
}

TEST(TextRenderer, MissingFontIsAnErrorNamingThePath) {
  const auto text = TextRenderer::open(16, "/nonexistent/periscope/font.ttf");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
  EXPECT_NE(text.error().message.find("/nonexistent/periscope/font.ttf"), std::string::npos)
      << text.error().message;
}

TEST(TextRenderer, AFileThatIsNotAFontIsAnError) {
  const auto path = std::filesystem::temp_directory_path() / "periscope_text_not_a_font.ttf";
  {
    std::ofstream out(path);
    out << "this is not a TrueType font\n";
  }
  const auto text = TextRenderer::open(16, path.string());
  std::filesystem::remove(path);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kUnsupported);
}

TEST(TextRenderer, FontSizeOutOfRangeIsAnError) {
  for (const int size : {0, -3, 5000}) {
    const auto text = TextRenderer::open(size, kDefaultFontPath);
    ASSERT_FALSE(text) << size;
    EXPECT_EQ(text.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TextRenderer, EnvironmentChoosesTheFontWhenNoneIsGiven) {
  {
    const ScopedEnv env("PERISCOPE_FONT", "/nonexistent/from-env.ttf");
    const auto text = TextRenderer::open(16);
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().message.find("PERISCOPE_FONT"), std::string::npos);
    EXPECT_NE(text.error().message.find("/nonexistent/from-env.ttf"), std::string::npos);
    // An explicit path wins over the environment.
    EXPECT_TRUE(TextRenderer::open(16, kDefaultFontPath));
  }
  const ScopedEnv unset("PERISCOPE_FONT", nullptr);
  EXPECT_TRUE(TextRenderer::open(16));
}

TEST(TextRenderer, LargerSizeGivesTallerLines) {
  const TextRenderer small = open_or_die(12);
  const TextRenderer large = open_or_die(32);
  EXPECT_GT(large.line_height(), small.line_height());
  EXPECT_GE(small.line_height(), 12);
  EXPECT_EQ(large.pixel_height(), 32);
}

TEST(TextRenderer, EachRendererHoldsOneSdlTtfReference) {
  const int before = TtfLibrary::references();
  {
    std::optional<TextRenderer> a(open_or_die());
    EXPECT_EQ(TtfLibrary::references(), before + 1);
    TextRenderer b = open_or_die();
    EXPECT_EQ(TtfLibrary::references(), before + 2);
    TextRenderer moved(std::move(*a));
    a.reset();  // the moved-from one holds nothing
    EXPECT_EQ(TtfLibrary::references(), before + 2);
    EXPECT_GT(moved.render("x", kOrange).width, 0U);

    b = std::move(moved);  // b's old font and reference go, moved's come over
    EXPECT_EQ(TtfLibrary::references(), before + 1);
    EXPECT_GT(b.render("x", kOrange).width, 0U);
    EXPECT_EQ(moved.render("x", kOrange).width, 0U);  // NOLINT(bugprone-use-after-move)
  }
  EXPECT_EQ(TtfLibrary::references(), before);
}

}  // namespace
}  // namespace periscope::viewer
