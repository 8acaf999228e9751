#pragma once
// A capture source for benchmarks: two test-pattern frames rendered once, handed out in turn
// as fast as asked, each wholly damaged. The benchmark measures the relay, not how fast a
// source can draw.
#include <array>
#include <vector>

#include "capture/capture_source.hpp"
#include "capture/test_pattern.hpp"

namespace periscope::bench {

class PrerenderedSource final : public capture::CaptureSource {
 public:
  explicit PrerenderedSource(const capture::TestPattern::Options& options)
      : options_(options),
        frames_{capture::TestPattern::render_frame(options, 0),
                capture::TestPattern::render_frame(options, 1)} {}

  [[nodiscard]] std::string_view name() const override { return "prerendered"; }

  capture::CaptureStatus capture_frame(Nanoseconds /*timeout*/,
                                       capture::CapturedFrame& frame) override {
    frame.type = options_.type;
    frame.width = options_.width;
    frame.height = options_.height;
    frame.pitch = capture::TestPattern::pitch_bytes(options_);
    frame.pixels = frames_[index_ % 2];
    frame.damage.clear();
    frame.index = index_++;
    return capture::CaptureStatus::kOk;
  }

  std::optional<capture::CapturedCursor> poll_cursor() override { return std::nullopt; }

 private:
  capture::TestPattern::Options options_;
  std::array<std::vector<std::byte>, 2> frames_;
  std::uint64_t index_{0};
};

}  // namespace periscope::bench
