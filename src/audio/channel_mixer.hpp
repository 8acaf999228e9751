#pragma once
// Maps the stream's channels onto the output's: the same count passes through, mono goes to
// every output channel, anything to mono averages, surround to stereo folds each speaker (from
// the channel mask) into the left or right side or both. Rows are scaled so no output can
// exceed full scale when every input is at full scale.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace periscope::audio {

class ChannelMixer {
 public:
  static constexpr std::size_t kMaxChannels = 8;

  // Channels above kMaxChannels are treated as kMaxChannels.
  void configure(std::uint32_t input_channels, std::uint16_t channel_mask,
                 std::uint32_t output_channels);

  // Mixes `frames` interleaved frames; `in` holds frames x input channels, `out` frames x
  // output channels.
  void mix(std::span<const float> in, std::span<float> out, std::size_t frames) const;

  [[nodiscard]] float gain(std::size_t output, std::size_t input) const {
    return gains_[output * kMaxChannels + input];
  }

 private:
  std::uint32_t in_{0};
  std::uint32_t out_{0};
  bool identity_{true};
  std::array<float, kMaxChannels * kMaxChannels> gains_{};
};

}  // namespace periscope::audio
