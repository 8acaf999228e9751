#include "audio/resampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

namespace periscope::audio {

namespace {

// The zeroth-order modified Bessel function of the first kind (its series converges fast for
// the window's arguments).
double bessel_i0(double x) {
  double sum = 1.0;
  double term = 1.0;
  for (int k = 1; k < 64; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

double sinc(double x) {
  if (std::abs(x) < 1e-12) return 1.0;
  const double px = std::numbers::pi * x;
  return std::sin(px) / px;
}

// Four floats at a time with the compiler's vector extension (SSE or NEON, the baseline of
// every target we build for): the dot products are nearly all of the resampler's time.
using Floats4 = float __attribute__((vector_size(16)));

Floats4 load4(const float* p) {
  Floats4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float sum4(Floats4 v) {
  return (v[0] + v[2]) + (v[1] + v[3]);
}

float dot(const float* w, const float* x, std::size_t taps) {
  Floats4 acc{};
  for (std::size_t t = 0; t < taps; t += 4) acc += load4(w + t) * load4(x + t);
  return sum4(acc);
}

// One output frame's kernel: the weights between two table rows, `frac` of the way.
struct Kernel {
  const float* row;
  const float* delta;  // next row - row
  float frac;
  std::size_t taps;  // a multiple of 8

  [[nodiscard]] Floats4 weights(std::size_t t) const {
    return load4(row + t) + frac * load4(delta + t);
  }

  void interpolate(float* out) const {
    for (std::size_t t = 0; t < taps; t += 4) {
      const Floats4 w = weights(t);
      std::memcpy(out + t, &w, sizeof w);
    }
  }

  [[nodiscard]] float apply1(const float* x) const {
    Floats4 even{};
    Floats4 odd{};  // two chains so the adds overlap
    for (std::size_t t = 0; t < taps; t += 8) {
      even += weights(t) * load4(x + t);
      odd += weights(t + 4) * load4(x + t + 4);
    }
    return sum4(even + odd);
  }

  void apply2(const float* left, const float* right, float* out) const {
    // Two chains per channel: the adds' latency, not the multiplies, bounds this loop.
    Floats4 l0{};
    Floats4 l1{};
    Floats4 r0{};
    Floats4 r1{};
    for (std::size_t t = 0; t < taps; t += 8) {
      const Floats4 w0 = weights(t);
      const Floats4 w1 = weights(t + 4);
      l0 += w0 * load4(left + t);
      r0 += w0 * load4(right + t);
      l1 += w1 * load4(left + t + 4);
      r1 += w1 * load4(right + t + 4);
    }
    out[0] = sum4(l0 + l1);
    out[1] = sum4(r0 + r1);
  }
};

}  // namespace

void Resampler::configure(std::uint32_t channels, std::uint32_t input_rate_hz,
                          std::uint32_t output_rate_hz, std::size_t max_output_frames,
                          double max_speed, ResamplerQuality quality) {
  channels_ = std::max<std::uint32_t>(channels, 1);
  input_rate_hz = std::max<std::uint32_t>(input_rate_hz, 1);
  output_rate_hz = std::max<std::uint32_t>(output_rate_hz, 1);
  nominal_step_ = static_cast<double>(input_rate_hz) / static_cast<double>(output_rate_hz);
  phases_ = std::max<std::uint32_t>(quality.phases, 1);

  // Going down in rate, the kernel must also cut what the output cannot carry: it widens by
  // the same factor, in input frames.
  const double narrowing = std::min(1.0, 1.0 / nominal_step_);
  const double cutoff = quality.cutoff * narrowing;
  half_taps_ = static_cast<std::size_t>(std::ceil(quality.half_width_frames / narrowing));
  half_taps_ = std::max<std::size_t>(half_taps_, 1);
  taps_ = (2 * half_taps_ + 7) / 8 * 8;
  const double window_half_width = static_cast<double>(half_taps_);
  const double i0_beta = bessel_i0(quality.kaiser_beta);

  table_.assign((phases_ + 1) * taps_, 0.0F);
  std::vector<double> exact(2 * half_taps_);
  for (std::uint32_t r = 0; r <= phases_; ++r) {
    const double phase = static_cast<double>(r) / phases_;
    float* row = table_.data() + static_cast<std::size_t>(r) * taps_;
    double sum = 0.0;
    for (std::size_t k = 0; k < 2 * half_taps_; ++k) {
      // Tap k multiplies input frame floor(p) - half_taps + 1 + k, at distance t from p.
      const double t = static_cast<double>(k) - static_cast<double>(half_taps_) + 1.0 - phase;
      const double x = t / window_half_width;
      const double window = std::abs(x) >= 1.0
                                ? 0.0
                                : bessel_i0(quality.kaiser_beta * std::sqrt(1.0 - x * x)) / i0_beta;
      exact[k] = cutoff * sinc(cutoff * t) * window;
      sum += exact[k];
    }
    // Unity gain at DC in every phase, so a changing phase cannot modulate the level.
    for (std::size_t k = 0; k < 2 * half_taps_; ++k) row[k] = static_cast<float>(exact[k] / sum);
  }
  deltas_.assign(phases_ * taps_, 0.0F);
  for (std::size_t i = 0; i < deltas_.size(); ++i) deltas_[i] = table_[i + taps_] - table_[i];
  weights_.assign(taps_, 0.0F);

  const double max_step = nominal_step_ * std::max(1.0, max_speed);
  capacity_ =
      static_cast<std::size_t>(std::ceil(static_cast<double>(max_output_frames) * max_step)) +
      2 * taps_ + 8;
  history_.assign(capacity_ * channels_, 0.0F);
  reset();
}

void Resampler::reset() {
  // half_taps_ frames of silence before the first input, which is then the first output.
  std::fill(history_.begin(), history_.end(), 0.0F);
  frames_ = half_taps_;
  position_ = static_cast<double>(half_taps_);
}

std::size_t Resampler::input_frames_needed(std::size_t output_frames, double step) const {
  if (output_frames == 0) return 0;
  // The last output frame reads up to floor(p) + half_taps_ (plus zero-padded taps).
  const double last = position_of(output_frames - 1, step);
  const auto end = static_cast<std::size_t>(std::floor(last)) + (taps_ - half_taps_) + 1;
  return end > frames_ ? end - frames_ : 0;
}

std::size_t Resampler::output_frames_possible(std::size_t extra_input, double step,
                                              std::size_t limit) const {
  if (input_frames_needed(limit, step) <= extra_input) return limit;
  // Estimate from the frames available, then settle on the exact answer with the same
  // arithmetic input_frames_needed uses.
  const double room = static_cast<double>(frames_ + extra_input) -
                      static_cast<double>(taps_ - half_taps_) - position_;
  auto k =
      room <= 0.0 ? std::size_t{0} : std::min(limit, static_cast<std::size_t>(room / step) + 1);
  while (k > 0 && input_frames_needed(k, step) > extra_input) --k;
  while (k < limit && input_frames_needed(k + 1, step) <= extra_input) ++k;
  return k;
}

std::size_t Resampler::push(std::span<const float> interleaved) {
  const std::size_t frames = std::min(interleaved.size() / channels_, capacity_ - frames_);
  for (std::uint32_t c = 0; c < channels_; ++c) {
    float* plane = history_.data() + c * capacity_ + frames_;
    for (std::size_t f = 0; f < frames; ++f) plane[f] = interleaved[f * channels_ + c];
  }
  frames_ += frames;
  return frames;
}

std::size_t Resampler::render(std::span<float> out, std::size_t frames, double step) {
  frames = std::min(frames, out.size() / channels_);
  frames = output_frames_possible(0, step, frames);
  const auto phases = static_cast<double>(phases_);
  for (std::size_t k = 0; k < frames; ++k) {
    const double p = position_of(k, step);
    const double whole = std::floor(p);
    const double u = (p - whole) * phases;
    const auto row = std::min(static_cast<std::size_t>(u), std::size_t{phases_} - 1);
    const Kernel kernel{table_.data() + row * taps_, deltas_.data() + row * taps_,
                        static_cast<float>(u - static_cast<double>(row)), taps_};
    const float* x = history_.data() + (static_cast<std::size_t>(whole) + 1 - half_taps_);
    float* y = out.data() + k * channels_;
    // Mono and stereo (nearly every stream) interpolate the weights on the fly; other counts
    // interpolate them once into weights_ and reuse them per channel.
    if (channels_ == 2) {
      kernel.apply2(x, x + capacity_, y);
    } else if (channels_ == 1) {
      y[0] = kernel.apply1(x);
    } else {
      kernel.interpolate(weights_.data());
      for (std::uint32_t c = 0; c < channels_; ++c) {
        y[c] = dot(weights_.data(), x + c * capacity_, taps_);
      }
    }
  }
  position_ = position_of(frames, step);
  compact();
  return frames;
}

void Resampler::compact() {
  // Keep from the first frame the next output reads.
  const auto next_first = static_cast<std::size_t>(std::floor(position_)) + 1 - half_taps_;
  const std::size_t drop = std::min(next_first, frames_);
  if (drop == 0) return;
  for (std::uint32_t c = 0; c < channels_; ++c) {
    float* plane = history_.data() + c * capacity_;
    std::copy(plane + drop, plane + frames_, plane);
  }
  frames_ -= drop;
  position_ -= static_cast<double>(drop);
}

}  // namespace periscope::audio
