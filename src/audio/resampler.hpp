#pragma once
// A windowed-sinc resampler whose step (input frames per output frame) may change every block,
// so the drift controller can bend the rate by a fraction of a percent without a click.
//
// The kernel (Kaiser-windowed sinc, cut off below the lower of the two Nyquist rates) is
// tabulated at `phases` fractional positions per input frame and linearly interpolated
// between them. History is kept per channel (planar) so each output sample is one dot product
// over contiguous memory. All memory is allocated by configure; push and render never
// allocate.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace periscope::audio {

struct ResamplerQuality {
  // Half the kernel's length in input frames when the output rate is not lower than the
  // input's (the kernel widens by in/out when it is lower, to cut what the output cannot hold).
  std::uint32_t half_width_frames{16};
  std::uint32_t phases{256};  // table rows per input frame
  double kaiser_beta{8.0};
  double cutoff{0.91};  // of the lower Nyquist frequency
};

class Resampler {
 public:
  // max_speed: the largest step render will be given, as a multiple of the nominal step.
  void configure(std::uint32_t channels, std::uint32_t input_rate_hz, std::uint32_t output_rate_hz,
                 std::size_t max_output_frames, double max_speed = 1.05,
                 ResamplerQuality quality = {});
  // Forgets all input, as if the stream had been preceded by silence.
  void reset();

  [[nodiscard]] double nominal_step() const { return nominal_step_; }
  [[nodiscard]] std::uint32_t channels() const { return channels_; }

  // Input frames push() must add before render(output_frames, step) can run (0 if enough).
  [[nodiscard]] std::size_t input_frames_needed(std::size_t output_frames, double step) const;
  // The most output frames, up to `limit`, render could make after `extra_input` more frames.
  [[nodiscard]] std::size_t output_frames_possible(std::size_t extra_input, double step,
                                                   std::size_t limit) const;
  // Appends whole interleaved frames, as many as fit; returns how many.
  std::size_t push(std::span<const float> interleaved);
  // Writes `frames` interleaved output frames, advancing `step` input frames per output frame.
  // Renders only what the history allows (see input_frames_needed); returns the frames written.
  std::size_t render(std::span<float> out, std::size_t frames, double step);

  // Input frames pushed but not yet passed by the read position: part of the latency.
  [[nodiscard]] double buffered_frames() const { return static_cast<double>(frames_) - position_; }
  [[nodiscard]] std::size_t taps() const { return taps_; }
  // How far the kernel reaches ahead of the read position, in input frames: the resampler's
  // own delay (output frame 0 after a reset is input frame 0).
  [[nodiscard]] std::size_t lookahead_frames() const { return half_taps_; }

 private:
  [[nodiscard]] double position_of(std::size_t k, double step) const {
    return position_ + static_cast<double>(k) * step;
  }
  void compact();

  std::uint32_t channels_{1};
  double nominal_step_{1.0};
  std::size_t half_taps_{0};
  std::size_t taps_{0};  // a multiple of 8, zero-padded at the end
  std::uint32_t phases_{1};
  std::vector<float> table_;   // (phases + 1) rows of taps_ weights, each summing to 1
  std::vector<float> deltas_;  // row r + 1 - row r, for the interpolation between rows
  std::vector<float> weights_;
  std::vector<float> history_;  // channels_ planes of capacity_ frames
  std::size_t capacity_{0};
  std::size_t frames_{0};  // valid frames in each plane
  double position_{0.0};   // of the next output frame, in input frames from plane start
};

}  // namespace periscope::audio
