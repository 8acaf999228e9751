#pragma once
// Test signals and measurements for the audio tests: sine PCM, a least-squares sine fit (the
// level and the error left over at a known frequency), a deterministic random source.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "audio/pcm.hpp"
#include "audio/scream_format.hpp"

namespace periscope::audio::test {

// splitmix64: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t state_;
};

// `frames` frames of a sine (the same in every channel) starting at frame `first`, as floats.
inline std::vector<float> sine_frames(double frequency_hz, double rate_hz, double amplitude,
                                      std::size_t first, std::size_t frames,
                                      std::uint32_t channels) {
  std::vector<float> out(frames * channels);
  for (std::size_t f = 0; f < frames; ++f) {
    const double phase =
        2.0 * std::numbers::pi * frequency_hz * static_cast<double>(first + f) / rate_hz;
    for (std::uint32_t c = 0; c < channels; ++c) {
      out[f * channels + c] = static_cast<float>(amplitude * std::sin(phase));
    }
  }
  return out;
}

// The same as PCM bytes of `format`.
inline std::vector<std::byte> sine_pcm(const StreamFormat& format, double frequency_hz,
                                       double amplitude, std::size_t first, std::size_t frames) {
  const auto samples =
      sine_frames(frequency_hz, format.rate_hz, amplitude, first, frames, format.channels);
  std::vector<std::byte> pcm(frames * format.bytes_per_frame());
  encode_pcm(format.bits, samples, pcm);
  return pcm;
}

// Every `stride`-th sample starting at `offset` (one channel of interleaved frames).
inline std::vector<double> channel(std::span<const float> interleaved, std::size_t stride,
                                   std::size_t offset) {
  std::vector<double> out;
  for (std::size_t i = offset; i < interleaved.size(); i += stride) out.push_back(interleaved[i]);
  return out;
}

struct SineFit {
  double amplitude{0.0};
  double residual_rms{0.0};  // what the best sine (plus DC) at that frequency leaves
  // Signal to error ratio, in dB: sine RMS over residual RMS.
  [[nodiscard]] double snr_db() const {
    return 20.0 * std::log10((amplitude / std::numbers::sqrt2) / std::max(residual_rms, 1e-30));
  }
};

// Least-squares fit of a cos + b sin + c at a known frequency.
inline SineFit fit_sine(std::span<const double> x, double frequency_hz, double rate_hz) {
  const double w = 2.0 * std::numbers::pi * frequency_hz / rate_hz;
  double m[3][4] = {};
  for (std::size_t n = 0; n < x.size(); ++n) {
    const double v[3] = {std::cos(w * static_cast<double>(n)), std::sin(w * static_cast<double>(n)),
                         1.0};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) m[i][j] += v[i] * v[j];
      m[i][3] += v[i] * x[n];
    }
  }
  // Gaussian elimination (the matrix is well conditioned for windows of many cycles).
  for (int i = 0; i < 3; ++i) {
    for (int k = i + 1; k < 3; ++k) {
      const double r = m[k][i] / m[i][i];
      for (int j = i; j < 4; ++j) m[k][j] -= r * m[i][j];
    }
  }
  double coef[3];
  for (int i = 2; i >= 0; --i) {
    double s = m[i][3];
    for (int j = i + 1; j < 3; ++j) s -= m[i][j] * coef[j];
    coef[i] = s / m[i][i];
  }
  double sum2 = 0.0;
  for (std::size_t n = 0; n < x.size(); ++n) {
    const double fit = coef[0] * std::cos(w * static_cast<double>(n)) +
                       coef[1] * std::sin(w * static_cast<double>(n)) + coef[2];
    sum2 += (x[n] - fit) * (x[n] - fit);
  }
  return SineFit{std::hypot(coef[0], coef[1]), std::sqrt(sum2 / static_cast<double>(x.size()))};
}

}  // namespace periscope::audio::test
