// Where the picture goes in each scaling mode.
#include "viewer/scaling.hpp"

#include <gtest/gtest.h>

namespace periscope::viewer {
namespace {

void expect_rect(const input::PictureRect& r, int x, int y, int w, int h) {
  EXPECT_EQ(r.x, x);
  EXPECT_EQ(r.y, y);
  EXPECT_EQ(r.width, w);
  EXPECT_EQ(r.height, h);
}

TEST(Scaling, FitKeepsTheAspectAndCentres) {
  expect_rect(picture_rect(ScaleMode::kFit, 1280, 1024, 1920, 1080), 0, 152, 1280, 720);
  expect_rect(picture_rect(ScaleMode::kFit, 1000, 500, 800, 600), 166, 0, 667, 500);
  expect_rect(picture_rect(ScaleMode::kFit, 3840, 2160, 1920, 1080), 0, 0, 3840, 2160);
}

TEST(Scaling, IntegerUsesWholeMultiplesAndShrinksWhenEvenOneDoesNotFit) {
  expect_rect(picture_rect(ScaleMode::kInteger, 1280, 1024, 320, 200), 0, 112, 1280, 800);
  expect_rect(picture_rect(ScaleMode::kInteger, 1000, 1000, 320, 200), 20, 200, 960, 600);
  expect_rect(picture_rect(ScaleMode::kInteger, 640, 480, 1920, 1080), 0, 60, 640, 360);
}

TEST(Scaling, StretchFillsAndNativeIsOneToOne) {
  expect_rect(picture_rect(ScaleMode::kStretch, 1000, 300, 1920, 1080), 0, 0, 1000, 300);
  expect_rect(picture_rect(ScaleMode::kNative, 1280, 1024, 640, 480), 320, 272, 640, 480);
  // Larger than the window: centred and cropped on both sides.
  expect_rect(picture_rect(ScaleMode::kNative, 800, 600, 1920, 1080), -560, -240, 1920, 1080);
}

TEST(Scaling, TinyAndEmptySizesAreSafe) {
  expect_rect(picture_rect(ScaleMode::kFit, 1, 1, 1920, 1080), 0, 0, 1, 1);
  expect_rect(picture_rect(ScaleMode::kInteger, 1, 1, 1920, 1080), 0, 0, 1, 1);
  expect_rect(picture_rect(ScaleMode::kFit, 0, 100, 1920, 1080), 0, 0, 0, 0);
  expect_rect(picture_rect(ScaleMode::kFit, 100, 100, 0, 0), 0, 0, 0, 0);
}

TEST(Scaling, NamesRoundTrip) {
  for (auto mode : {ScaleMode::kFit, ScaleMode::kInteger, ScaleMode::kStretch, ScaleMode::kNative}) {
    EXPECT_EQ(parse_scale_mode(scale_mode_name(mode)), mode);
  }
  EXPECT_FALSE(parse_scale_mode("zoom"));
}

}  // namespace
}  // namespace periscope::viewer
