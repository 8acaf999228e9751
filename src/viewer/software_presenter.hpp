#pragma once
// A presenter that draws on the CPU into an image: the reference the GL presenter is compared
// with, the presenter of tests, and (with compose off) the "headless presenter" of the
// benchmark, which measures the view loop around a presenter that costs nothing.
#include <cstdint>
#include <optional>

#include "viewer/presenter.hpp"

namespace periscope::viewer {

class SoftwarePresenter final : public Presenter {
 public:
  // compose = false: upload() and present() only count; last_read_back() stays empty.
  explicit SoftwarePresenter(OutputSize size, bool compose = true)
      : size_(size), compose_(compose) {}

  void resize(OutputSize size) { size_ = size; }
  [[nodiscard]] std::uint64_t uploads() const { return uploads_; }
  [[nodiscard]] std::uint64_t presents() const { return presents_; }
  // The upright guest picture as last uploaded (compose only).
  [[nodiscard]] const image::RgbaImage& picture() const { return picture_; }

  [[nodiscard]] std::string_view name() const override {
    return compose_ ? "software" : "headless";
  }
  Status upload(const Frame& frame, const FrameRing::Damage& damage) override;
  void set_cursor(const image::CursorPlanes& planes) override;
  void set_overlay(const image::RgbaImage& overlay) override;
  void set_status(const image::RgbaImage& status) override;
  [[nodiscard]] OutputSize output_size() const override { return size_; }
  Status present(const PresentRequest& request) override;
  [[nodiscard]] const image::RgbaImage& last_read_back() const override { return read_back_; }

 private:
  OutputSize size_;
  bool compose_;
  std::uint64_t uploads_{0};
  std::uint64_t presents_{0};
  image::RgbaImage picture_;
  std::optional<image::CursorPlanes> cursor_;
  image::RgbaImage overlay_;
  image::RgbaImage status_;
  image::RgbaImage read_back_;
};

// Draws what a presenter shows for `request` on a size.width x size.height output, sampling
// the picture at pixel centres (nearest). Shared with tests as the expected result.
image::RgbaImage compose_output(OutputSize size, const image::RgbaImage& picture,
                                const image::CursorPlanes* cursor, const image::RgbaImage* overlay,
                                const image::RgbaImage* status, const PresentRequest& request);

// Where the overlay sits: this far from the top-left corner, in output pixels.
inline constexpr std::int32_t kOverlayMargin = 8;

}  // namespace periscope::viewer
