// The resampler: right frequency, right level, error far below the signal, at fixed and
// changing ratios, and exact bookkeeping of the input it needs.
#include "audio/resampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "audio_signals.hpp"

namespace periscope::audio {
namespace {

// Feeds a mono sine at in_rate through the resampler in blocks of `block` output frames with
// step = nominal x speed(block index); returns the output.
template <typename Speed>
std::vector<float> run(Resampler& r, double frequency_hz, double in_rate, std::size_t out_frames,
                       std::size_t block, Speed speed) {
  std::vector<float> out(out_frames);
  std::size_t fed = 0;
  for (std::size_t done = 0, b = 0; done < out_frames; done += block, ++b) {
    const std::size_t n = std::min(block, out_frames - done);
    const double step = r.nominal_step() * speed(b);
    const std::size_t need = r.input_frames_needed(n, step);
    const auto input = test::sine_frames(frequency_hz, in_rate, 0.5, fed, need, 1);
    EXPECT_EQ(r.push(input), need);
    fed += need;
    EXPECT_EQ(r.input_frames_needed(n, step), 0U);
    EXPECT_EQ(r.render(std::span(out).subspan(done, n), n, step), n);
  }
  return out;
}

test::SineFit fit_tail(const std::vector<float>& out, double frequency_hz, double out_rate,
                       std::size_t skip) {
  std::vector<double> x(out.begin() + static_cast<std::ptrdiff_t>(skip), out.end());
  return test::fit_sine(x, frequency_hz, out_rate);
}

struct Case {
  double in_rate;
  double out_rate;
  double frequency_hz;
  double speed;  // step multiplier, fixed
};

TEST(Resampler, SineKeepsFrequencyLevelAndIsFarAboveTheError) {
  const Case cases[] = {
      {48000, 48000, 1000, 1.0},   {48000, 48000, 1000, 1.005}, {48000, 48000, 1000, 0.99},
      {44100, 48000, 1000, 1.0},   {96000, 48000, 1000, 1.0},   {192000, 48000, 1000, 1.0},
      {48000, 44100, 1000, 1.003}, {48000, 48000, 10000, 1.0},  {48000, 48000, 15000, 1.007},
  };
  for (const auto& c : cases) {
    Resampler r;
    r.configure(1, static_cast<std::uint32_t>(c.in_rate), static_cast<std::uint32_t>(c.out_rate),
                512);
    const auto out =
        run(r, c.frequency_hz, c.in_rate, 48000, 512, [&](std::size_t) { return c.speed; });
    // Consuming `speed` times faster plays the sine that much higher.
    const double expected_hz = c.frequency_hz * c.speed;
    const auto fit = fit_tail(out, expected_hz, c.out_rate, 1000);
    std::printf("%6.0f -> %6.0f Hz, %5.0f Hz x %.3f: level %.5f, SNR %.1f dB\n", c.in_rate,
                c.out_rate, c.frequency_hz, c.speed, fit.amplitude, fit.snr_db());
    EXPECT_NEAR(fit.amplitude, 0.5, 0.5 * 0.01) << c.in_rate << " -> " << c.out_rate;
    // The issue asks for 60 dB at 1 kHz; we hold 80 at every frequency tested (the phase
    // interpolation is what gets it there: nearest-phase lookup falls short).
    EXPECT_GT(fit.snr_db(), 80.0) << c.in_rate << " -> " << c.out_rate;
    // A neighbouring frequency leaves most of the signal unexplained.
    EXPECT_LT(fit_tail(out, expected_hz + 5.0, c.out_rate, 1000).snr_db(), 10.0);
  }
}

TEST(Resampler, RatioChangingEveryBlockStaysClean) {
  // The controller moves the ratio a little every block. Sweep the step from 0.995 to 1.005
  // over a second of stereo 1 kHz sine and compare each output frame with the ideal: the sine
  // at the input position the resampler was told to be at (the sum of the steps so far).
  Resampler r;
  r.configure(2, 48000, 48000, 256);
  const std::size_t blocks = 48000 / 256;
  std::size_t fed = 0;
  double position = 0.0;  // input frames since the first
  double error2 = 0.0;
  std::size_t compared = 0;
  std::vector<float> block(256 * 2);
  for (std::size_t b = 0; b < blocks; ++b) {
    const double step = 0.995 + 0.01 * static_cast<double>(b) / static_cast<double>(blocks);
    const std::size_t need = r.input_frames_needed(256, step);
    r.push(test::sine_frames(1000, 48000, 0.5, fed, need, 2));
    fed += need;
    ASSERT_EQ(r.render(block, 256, step), 256U);
    for (std::size_t k = 0; k < 256; ++k, position += step) {
      if (b < 2) continue;  // the start, where the kernel still reaches into the silence
      const double ideal = 0.5 * std::sin(2.0 * std::numbers::pi * 1000.0 * position / 48000.0);
      for (std::size_t c = 0; c < 2; ++c) {
        const double e = static_cast<double>(block[k * 2 + c]) - ideal;
        error2 += e * e;
        ++compared;
      }
    }
  }
  const double snr_db = 20.0 * std::log10((0.5 / std::numbers::sqrt2) /
                                          std::sqrt(error2 / static_cast<double>(compared)));
  std::printf("swept ratio: SNR %.1f dB against the ideal\n", snr_db);
  EXPECT_GT(snr_db, 80.0);
}

TEST(Resampler, GoingDownInRateRemovesWhatTheOutputCannotCarry) {
  // 30 kHz at 96 kHz would fold to 18 kHz at 48 kHz: the kernel must cut it.
  Resampler r;
  r.configure(1, 96000, 48000, 512);
  const auto out = run(r, 30000, 96000, 48000, 512, [](std::size_t) { return 1.0; });
  const double aliased = fit_tail(out, 18000, 48000, 1000).amplitude;
  std::printf("96 kHz -> 48 kHz, 30 kHz at 0.5: %.2e at 18 kHz\n", aliased);
  EXPECT_LT(aliased, 0.5 * 1e-3) << "at least 60 dB down";
  // While 15 kHz, inside the band, keeps its level.
  Resampler up;
  up.configure(1, 44100, 48000, 512);
  const auto kept = run(up, 15000, 44100, 48000, 512, [](std::size_t) { return 1.0; });
  EXPECT_NEAR(fit_tail(kept, 15000, 48000, 1000).amplitude, 0.5, 0.5 * 0.01);
}

TEST(Resampler, NeedsExactlyWhatItConsumes) {
  Resampler r;
  r.configure(2, 44100, 48000, 1024, 1.05);
  double consumed = 0.0;
  std::size_t pushed = 0;
  std::vector<float> out(1024 * 2);
  for (std::size_t i = 0; i < 2000; ++i) {
    const std::size_t frames = 1 + (i * 37) % 1024;
    const double step = r.nominal_step() * (1.0 + 0.01 * static_cast<double>(i % 7) / 7.0);
    const std::size_t need = r.input_frames_needed(frames, step);
    std::vector<float> in(need * 2, 0.25F);
    ASSERT_EQ(r.push(in), need) << "the history has room for a whole block";
    pushed += need;
    ASSERT_EQ(r.render(out, frames, step), frames);
    consumed += static_cast<double>(frames) * step;
  }
  // Everything pushed is consumed or still buffered ahead of the read position.
  EXPECT_NEAR(static_cast<double>(pushed), consumed + r.buffered_frames(), 1e-6);
  EXPECT_LT(r.buffered_frames(), static_cast<double>(r.taps()));
}

TEST(Resampler, RendersOnlyWhatTheHistoryHolds) {
  Resampler r;
  r.configure(1, 48000, 48000, 256);
  std::vector<float> out(256, -1.0F);
  EXPECT_EQ(r.output_frames_possible(0, 1.0, 256), 0U) << "nothing pushed yet";
  EXPECT_EQ(r.render(out, 256, 1.0), 0U);
  r.push(std::vector<float>(100, 0.5F));
  const std::size_t possible = r.output_frames_possible(0, 1.0, 256);
  EXPECT_GT(possible, 0U);
  EXPECT_LT(possible, 100U);
  EXPECT_EQ(r.input_frames_needed(possible, 1.0), 0U);
  EXPECT_GT(r.input_frames_needed(possible + 1, 1.0), 0U);
  EXPECT_EQ(r.render(out, 256, 1.0), possible);
}

TEST(Resampler, StartsFromSilenceAfterReset) {
  Resampler r;
  r.configure(1, 48000, 48000, 64);
  r.push(std::vector<float>(200, 1.0F));
  std::vector<float> out(64);
  r.render(out, 64, 1.0);
  r.reset();
  EXPECT_EQ(r.buffered_frames(), 0.0);
  r.push(std::vector<float>(200, 0.0F));
  r.render(out, 64, 1.0);
  for (const float v : out) EXPECT_EQ(v, 0.0F) << "no trace of the input before the reset";
}

}  // namespace
}  // namespace periscope::audio
