#include "audio/channel_mixer.hpp"

#include <algorithm>

namespace periscope::audio {

namespace {

// Windows SPEAKER_* bit numbers.
enum Speaker : std::uint32_t {
  kFrontLeft = 0,
  kFrontRight = 1,
  kFrontCenter = 2,
  kLowFrequency = 3,
  kBackLeft = 4,
  kBackRight = 5,
  kFrontLeftOfCenter = 6,
  kFrontRightOfCenter = 7,
  kBackCenter = 8,
  kSideLeft = 9,
  kSideRight = 10,
};

// The order Windows uses when the mask says nothing (7.1: FL FR FC LFE BL BR SL SR).
constexpr std::array<std::uint32_t, ChannelMixer::kMaxChannels> kDefaultOrder = {
    kFrontLeft, kFrontRight, kFrontCenter, kLowFrequency,
    kBackLeft,  kBackRight,  kSideLeft,    kSideRight};

constexpr float kMinus3dB = 0.70710678F;

// Speaker of each input channel: the i-th set bit of the mask, or the default order when the
// mask has too few bits.
std::array<std::uint32_t, ChannelMixer::kMaxChannels> speakers(std::uint32_t channels,
                                                               std::uint16_t mask) {
  std::array<std::uint32_t, ChannelMixer::kMaxChannels> out = kDefaultOrder;
  if (static_cast<std::uint32_t>(__builtin_popcount(mask)) < channels) return out;
  std::uint32_t i = 0;
  for (std::uint32_t bit = 0; bit < 16 && i < channels; ++bit) {
    if ((mask & (1U << bit)) != 0) out[i++] = bit;
  }
  return out;
}

// {left gain, right gain} of a speaker folded into stereo.
std::array<float, 2> stereo_gains(std::uint32_t speaker) {
  switch (speaker) {
    case kFrontLeft:
      return {1.0F, 0.0F};
    case kFrontRight:
      return {0.0F, 1.0F};
    case kFrontCenter:
    case kBackCenter:
      return {kMinus3dB, kMinus3dB};
    case kLowFrequency:
      return {0.0F, 0.0F};  // the usual stereo downmix leaves LFE out
    case kBackLeft:
    case kSideLeft:
    case kFrontLeftOfCenter:
      return {kMinus3dB, 0.0F};
    case kBackRight:
    case kSideRight:
    case kFrontRightOfCenter:
      return {0.0F, kMinus3dB};
    default:
      return {kMinus3dB, kMinus3dB};  // a speaker we do not place: both sides
  }
}

}  // namespace

void ChannelMixer::configure(std::uint32_t input_channels, std::uint16_t channel_mask,
                             std::uint32_t output_channels) {
  in_ = std::clamp<std::uint32_t>(input_channels, 1, kMaxChannels);
  out_ = std::clamp<std::uint32_t>(output_channels, 1, kMaxChannels);
  identity_ = in_ == out_;
  gains_.fill(0.0F);
  const auto g = [&](std::uint32_t o, std::uint32_t i) -> float& {
    return gains_[o * kMaxChannels + i];
  };
  if (identity_) {
    for (std::uint32_t c = 0; c < in_; ++c) g(c, c) = 1.0F;
  } else if (in_ == 1) {
    for (std::uint32_t o = 0; o < out_; ++o) g(o, 0) = 1.0F;
  } else if (out_ == 1) {
    for (std::uint32_t i = 0; i < in_; ++i) g(0, i) = 1.0F / static_cast<float>(in_);
  } else if (out_ == 2) {
    const auto where = speakers(in_, channel_mask);
    for (std::uint32_t i = 0; i < in_; ++i) {
      const auto lr = stereo_gains(where[i]);
      g(0, i) = lr[0];
      g(1, i) = lr[1];
    }
  } else {
    // No layout knowledge for other pairs: keep the channels both sides have.
    for (std::uint32_t c = 0; c < std::min(in_, out_); ++c) g(c, c) = 1.0F;
  }
  // Scale rows down so full-scale inputs cannot clip an output.
  float loudest = 0.0F;
  for (std::uint32_t o = 0; o < out_; ++o) {
    float sum = 0.0F;
    for (std::uint32_t i = 0; i < in_; ++i) sum += g(o, i);
    loudest = std::max(loudest, sum);
  }
  if (loudest > 1.0F) {
    for (auto& v : gains_) v /= loudest;
  }
}

void ChannelMixer::mix(std::span<const float> in, std::span<float> out, std::size_t frames) const {
  frames = std::min({frames, in.size() / in_, out.size() / out_});
  if (identity_) {
    std::copy_n(in.begin(), frames * in_, out.begin());
    return;
  }
  for (std::size_t f = 0; f < frames; ++f) {
    const float* src = in.data() + f * in_;
    float* dst = out.data() + f * out_;
    for (std::uint32_t o = 0; o < out_; ++o) {
      float acc = 0.0F;
      for (std::uint32_t i = 0; i < in_; ++i) acc += gains_[o * kMaxChannels + i] * src[i];
      dst[o] = acc;
    }
  }
}

}  // namespace periscope::audio
