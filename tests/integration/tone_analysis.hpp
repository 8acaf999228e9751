#pragma once
// What a recording of a test tone says: read float PCM (a WAV file or raw), find where the tone
// starts and ends, and measure a window of it: the power at a frequency (Goertzel, Hann
// windowed so neighbouring frequencies a few tens of hertz away do not leak in) and the RMS.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace periscope::testing {

struct Recording {
  std::uint32_t rate_hz{0};
  std::uint32_t channels{0};
  std::vector<float> samples;  // interleaved
  [[nodiscard]] std::size_t frames() const { return channels ? samples.size() / channels : 0; }
};

inline std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::uint32_t le32(const char* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return v;
}

inline std::uint16_t le16(const char* p) {
  std::uint16_t v = 0;
  std::memcpy(&v, p, 2);
  return v;
}

inline std::vector<float> floats_of(const char* data, std::size_t bytes) {
  std::vector<float> out(bytes / sizeof(float));
  std::memcpy(out.data(), data, out.size() * sizeof(float));
  return out;
}

// Raw interleaved float32 (what parec writes).
inline Recording read_raw_f32(const std::string& path, std::uint32_t rate_hz,
                              std::uint32_t channels) {
  const auto bytes = read_bytes(path);
  return Recording{rate_hz, channels, floats_of(bytes.data(), bytes.size())};
}

// A float32 WAV (what pw-record writes). A recorder stopped by a signal may leave the data
// chunk's size unset: the data then runs to the end of the file.
inline std::optional<Recording> read_wav_f32(const std::string& path) {
  const auto bytes = read_bytes(path);
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    return std::nullopt;
  }
  Recording rec;
  std::size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const char* chunk = bytes.data() + at;
    const std::size_t size = le32(chunk + 4);
    const std::size_t body = at + 8;
    if (std::memcmp(chunk, "fmt ", 4) == 0 && body + 16 <= bytes.size()) {
      const std::uint16_t tag = le16(chunk + 8);
      const std::uint16_t bits = le16(chunk + 22);
      if ((tag != 3 && tag != 0xfffe) || bits != 32) return std::nullopt;
      rec.channels = le16(chunk + 10);
      rec.rate_hz = le32(chunk + 12);
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      const std::size_t available = bytes.size() - body;
      const std::size_t length = (size == 0 || size > available) ? available : size;
      rec.samples = floats_of(bytes.data() + body, length);
      return rec.channels ? std::optional(rec) : std::nullopt;
    }
    at = body + size + (size & 1);
  }
  return std::nullopt;
}

// One channel's frames [first, first + count).
inline std::vector<double> channel_window(const Recording& rec, std::uint32_t channel,
                                          std::size_t first, std::size_t count) {
  std::vector<double> out;
  for (std::size_t f = first; f < first + count && f < rec.frames(); ++f) {
    out.push_back(rec.samples[f * rec.channels + channel]);
  }
  return out;
}

// The first and one past the last frame where any channel exceeds `threshold`.
struct Span {
  std::size_t first{0};
  std::size_t end{0};
  [[nodiscard]] std::size_t frames() const { return end - first; }
};
inline std::optional<Span> signal_span(const Recording& rec, float threshold = 0.05f) {
  std::optional<Span> span;
  for (std::size_t f = 0; f < rec.frames(); ++f) {
    for (std::uint32_t c = 0; c < rec.channels; ++c) {
      if (std::abs(rec.samples[f * rec.channels + c]) > threshold) {
        if (!span) span = Span{f, f + 1};
        span->end = f + 1;
      }
    }
  }
  return span;
}

// Power of `x` at `frequency_hz` (Hann windowed Goertzel), in the same units for every
// frequency so that ratios compare.
inline double tone_power(std::span<const double> x, double frequency_hz, double rate_hz) {
  const double w = 2.0 * std::numbers::pi * frequency_hz / rate_hz;
  const double coefficient = 2.0 * std::cos(w);
  double s1 = 0.0;
  double s2 = 0.0;
  const auto n = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double hann = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / n);
    const double s0 = x[i] * hann + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

// The frequency in [low_hz, high_hz] (scanned every step_hz) where tone_power peaks: where a
// tone landed when a resampler may have moved it a little.
inline double peak_frequency(std::span<const double> x, double rate_hz, double low_hz,
                             double high_hz, double step_hz = 0.5) {
  double best_hz = low_hz;
  double best_power = -1.0;
  for (double f = low_hz; f <= high_hz; f += step_hz) {
    const double power = tone_power(x, f, rate_hz);
    if (power > best_power) {
      best_power = power;
      best_hz = f;
    }
  }
  return best_hz;
}

inline double rms_dbfs(std::span<const double> x) {
  double sum = 0.0;
  for (const double v : x) sum += v * v;
  return 10.0 * std::log10(std::max(sum / static_cast<double>(x.size()), 1e-30));
}

inline double db(double power_ratio) {
  return 10.0 * std::log10(std::max(power_ratio, 1e-30));
}

}  // namespace periscope::testing
