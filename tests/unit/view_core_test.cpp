// The view loop without a window: frames from the ring reach the presenter with the right
// damage, the cursor and status screens follow the guest, the screenshot is what was shown.
#include "viewer/view_core.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "image/png_io.hpp"
#include "image/frame_to_rgba.hpp"
#include "viewer/software_presenter.hpp"

namespace periscope::viewer {
namespace {

// Records what the core asks of a presenter.
class RecordingPresenter final : public Presenter {
 public:
  std::vector<FrameRing::Damage> uploads;
  std::vector<PresentRequest> presents;
  int cursors{0};
  int statuses{0};
  int overlays{0};

  [[nodiscard]] std::string_view name() const override { return "recording"; }
  Status upload(const Frame& /*frame*/, const FrameRing::Damage& damage) override {
    uploads.push_back(damage);
    return {};
  }
  void set_cursor(const image::CursorPlanes& /*planes*/) override { ++cursors; }
  void set_overlay(const image::RgbaImage& /*overlay*/) override { ++overlays; }
  void set_status(const image::RgbaImage& /*status*/) override { ++statuses; }
  [[nodiscard]] OutputSize output_size() const override { return {640, 480}; }
  Status present(const PresentRequest& request) override {
    presents.push_back(request);
    return {};
  }
  [[nodiscard]] const image::RgbaImage& last_read_back() const override { return image_; }

 private:
  image::RgbaImage image_;
};

b7::FrameInfo info_for(std::uint32_t w, std::uint32_t h, std::uint32_t serial) {
  b7::FrameInfo info;
  info.type = b7::FrameType::kBgra;
  info.format_ver = 1;
  info.serial = serial;
  info.frame_width = info.screen_width = info.data_width = w;
  info.frame_height = info.screen_height = info.data_height = h;
  info.pitch = w * 4;
  info.data_bytes = std::uint64_t{info.pitch} * h;
  return info;
}

// Publishes a frame filled with `value` into the ring, as the consumer would, and tells the
// feed it arrived.
void publish(FrameRing& ring, FrameFeed& feed, const b7::FrameInfo& info, std::uint8_t value,
             const FrameRing::Damage& damage) {
  Frame& f = ring.begin_write();
  f.info = info;
  f.pixels.assign(info.data_bytes, std::byte{value});
  ring.publish(damage);
  feed.on_frame(f, FrameTiming{Clock::now(), Clock::now(), damage.has_value(), info.data_bytes});
}

CursorShape square_cursor() {
  CursorShape shape;
  shape.type = b7::CursorType::kColor;
  shape.width = shape.height = 4;
  shape.pitch = 16;
  shape.pixels.assign(64, std::byte{0xFF});
  return shape;
}

TEST(ViewCore, WaitsForTheGuestThenShowsFramesWithTheirDamage) {
  FrameRing ring;
  FrameFeed feed;
  RecordingPresenter presenter;
  ViewCore core(presenter, ring, feed, ViewCoreOptions{}, nullptr);

  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_EQ(core.state(), ViewState::kWaiting);
  ASSERT_EQ(presenter.presents.size(), 1U);
  EXPECT_TRUE(presenter.presents[0].status);
  EXPECT_EQ(presenter.statuses, 1);
  EXPECT_FALSE(core.step(Clock::now()).value()) << "nothing changed: no present";

  publish(ring, feed, info_for(64, 32, 1), 10, std::nullopt);
  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_EQ(core.state(), ViewState::kShowing);
  ASSERT_EQ(presenter.uploads.size(), 1U);
  EXPECT_FALSE(presenter.uploads[0]) << "the first frame is uploaded whole";
  EXPECT_FALSE(presenter.presents.back().status);
  EXPECT_EQ(core.guest_size(), (OutputSize{64, 32}));
  EXPECT_EQ(core.stats().receive_to_present.count(), 1U);

  // Two frames arrive before the next step: the latest is shown with both frames' damage.
  publish(ring, feed, info_for(64, 32, 2), 11, std::vector<b7::TexelRect>{{1, 1, 2, 2}});
  publish(ring, feed, info_for(64, 32, 3), 12, std::vector<b7::TexelRect>{{5, 5, 1, 1}});
  ASSERT_TRUE(core.step(Clock::now()).value());
  ASSERT_EQ(presenter.uploads.size(), 2U);
  ASSERT_TRUE(presenter.uploads[1]);
  ASSERT_EQ(presenter.uploads[1]->size(), 2U);
  EXPECT_EQ((*presenter.uploads[1])[1].x, 5U);

  // A new size is uploaded whole whatever the ring says.
  publish(ring, feed, info_for(32, 32, 4), 13, std::vector<b7::TexelRect>{{0, 0, 1, 1}});
  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_FALSE(presenter.uploads.back());
  EXPECT_EQ(core.stats().frames_presented, 3U);
}

TEST(ViewCore, TheCursorMovesWithoutNewFramesAndAHiddenOneDoesNotRedraw) {
  FrameRing ring;
  FrameFeed feed;
  RecordingPresenter presenter;
  ViewCore core(presenter, ring, feed, ViewCoreOptions{}, nullptr);
  publish(ring, feed, info_for(64, 32, 1), 10, std::nullopt);
  ASSERT_TRUE(core.step(Clock::now()).value());

  feed.on_cursor(CursorState{true, 5, 6, square_cursor(), 1});
  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_EQ(presenter.cursors, 1);
  EXPECT_TRUE(presenter.presents.back().cursor_visible);
  EXPECT_EQ(presenter.presents.back().cursor_x, 5);

  feed.on_cursor(CursorState{true, 7, 8, square_cursor(), 1});
  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_EQ(presenter.cursors, 1) << "same shape serial: not uploaded again";
  EXPECT_EQ(presenter.presents.back().cursor_y, 8);

  feed.on_cursor(CursorState{false, 7, 8, square_cursor(), 1});
  ASSERT_TRUE(core.step(Clock::now()).value()) << "hiding it changes the picture";
  EXPECT_FALSE(presenter.presents.back().cursor_visible);
  feed.on_cursor(CursorState{false, 9, 9, square_cursor(), 1});
  EXPECT_FALSE(core.step(Clock::now()).value()) << "a hidden cursor moving changes nothing";
}

TEST(ViewCore, ATruncatedFrameShowsTheTooSmallScreen) {
  FrameRing ring;
  FrameFeed feed;
  RecordingPresenter presenter;
  ViewCore core(presenter, ring, feed, ViewCoreOptions{}, nullptr);
  b7::FrameInfo info = info_for(64, 32, 1);
  info.flags |= b7::kFrameFlagTruncated;
  info.data_height = 10;
  info.data_bytes = std::uint64_t{info.pitch} * 10;
  publish(ring, feed, info, 1, std::nullopt);
  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_EQ(core.state(), ViewState::kTooSmall);
  EXPECT_TRUE(presenter.presents.back().status);
}

TEST(ViewCore, TheScreenshotIsWhatThePresenterShowedAfterNFrames) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "periscope_view_core_shot.png").string();
  std::filesystem::remove(path);
  FrameRing ring;
  FrameFeed feed;
  SoftwarePresenter presenter(OutputSize{100, 60});
  ViewCoreOptions options;
  options.mode = ScaleMode::kNative;
  options.screenshot_after_frames = 2;
  options.screenshot_path = path;
  ViewCore core(presenter, ring, feed, options, nullptr);
  publish(ring, feed, info_for(64, 32, 1), 0x20, std::nullopt);
  ASSERT_TRUE(core.step(Clock::now()).value());
  EXPECT_FALSE(core.screenshot_result());
  publish(ring, feed, info_for(64, 32, 2), 0x40, std::nullopt);
  ASSERT_TRUE(core.step(Clock::now()).value());
  ASSERT_TRUE(core.screenshot_result());
  ASSERT_TRUE(*core.screenshot_result());
  auto shot = image::read_png(path);
  ASSERT_TRUE(shot);
  EXPECT_EQ(shot->width, 100U);
  EXPECT_EQ(shot->height, 60U);
  // Native: the 64x32 picture centred at (18, 14), BGRA 0x40 everywhere -> grey 0x40, opaque
  // (a desktop's alpha byte is not transparency: the window draws it opaque too).
  EXPECT_EQ(shot->at(18, 14), (image::Rgba{0x40, 0x40, 0x40, 0xFF}));
  EXPECT_EQ(shot->at(17, 14), image::kOpaqueBlack);
  EXPECT_EQ(shot->at(81, 45), (image::Rgba{0x40, 0x40, 0x40, 0xFF}));
  EXPECT_EQ(shot->at(82, 45), image::kOpaqueBlack);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace periscope::viewer
