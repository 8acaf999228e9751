// The "never drifts" promise, simulated: a sender whose clock runs 0.5 % fast or slow sends
// 288-frame packets with +-2 ms of arrival jitter, an output on its own clock pulls 256-frame
// blocks, for an hour of virtual time (no sleeping). The latency (the buffer's fill level,
// averaged over each second) must stay at the 20 ms target and the output must never run dry.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "audio/jitter_buffer.hpp"
#include "audio_signals.hpp"

namespace periscope::audio {
namespace {

constexpr StreamFormat kFormat{48000, 16, 2, 0x3};
constexpr std::size_t kPacketFrames = 288;  // 1152 bytes of 16-bit stereo
constexpr std::size_t kBlockFrames = 256;
constexpr double kRateHz = 48000.0;
constexpr double kSineHz = 1000.0;  // 48 frames a cycle: every packet holds 6 whole cycles

struct Scenario {
  double sender_speed{1.0};  // the sender's clock against true time
  double output_speed{1.0};  // the output's clock against true time
  double seconds{3600.0};
  double jitter_ms{2.0};
  std::uint64_t seed{1};
  // The sender sends nothing in [pause_from_s, pause_to_s).
  double pause_from_s{-1.0};
  double pause_to_s{-1.0};
  // Packets the sender sends at once when it resumes (a backlog burst), on top of the usual.
  std::size_t burst_packets_at_resume{0};
};

struct Outcome {
  std::vector<double> window_latency_ms;  // time-weighted mean of each second
  double min_latency_ms{1e9};             // instantaneous, while playing
  JitterBufferStats stats;
  double last_correction{0.0};
  std::vector<float> last_second;  // the output's last second (48000 stereo frames)
};

Nanoseconds at(double seconds) {
  return Nanoseconds(std::llround(seconds * 1e9));
}

Outcome simulate(const Scenario& s, JitterBuffer& jb) {
  test::Rng rng(s.seed);
  const auto packet = test::sine_pcm(kFormat, kSineHz, 0.5, 0, kPacketFrames);
  const double send_period_s = kPacketFrames / kRateHz / s.sender_speed;
  const double block_period_s = kBlockFrames / kRateHz / s.output_speed;
  const double base_delay_s = 0.003;  // so jitter never makes an arrival precede its send

  Outcome out;
  std::vector<float> block(kBlockFrames * 2);
  const auto last_second_from = static_cast<std::size_t>((s.seconds - 1.0) / block_period_s);
  std::size_t sent = 0;
  std::size_t rendered = 0;
  std::size_t burst_left = 0;
  bool resumed = false;
  double next_arrival_s = base_delay_s + rng.uniform(-s.jitter_ms, s.jitter_ms) * 1e-3;
  double window_start_s = 0.0;
  double weighted = 0.0;
  double last_event_s = 0.0;
  double last_latency_s = 0.0;

  const auto account = [&](double now_s) {
    // The level held since the last event: integrate it, closing whole-second windows.
    while (now_s >= window_start_s + 1.0) {
      const double end = window_start_s + 1.0;
      weighted += last_latency_s * (end - last_event_s);
      out.window_latency_ms.push_back(weighted * 1e3);
      weighted = 0.0;
      window_start_s = end;
      last_event_s = end;
    }
    weighted += last_latency_s * (now_s - last_event_s);
    last_event_s = now_s;
  };
  const auto settle = [&](double now_s) {
    last_latency_s = std::chrono::duration<double>(jb.latency()).count();
    if (jb.state() == PlayoutState::kPlaying) {
      out.min_latency_ms = std::min(out.min_latency_ms, last_latency_s * 1e3);
    }
    (void)now_s;
  };

  for (;;) {
    const double next_render_s = static_cast<double>(rendered) * block_period_s;
    if (next_render_s >= s.seconds) break;
    if (next_arrival_s <= next_render_s) {
      const double send_s = static_cast<double>(sent) * send_period_s;
      const bool paused = send_s >= s.pause_from_s && send_s < s.pause_to_s;
      if (!paused) {
        if (!resumed && s.pause_to_s > 0 && send_s >= s.pause_to_s) {
          resumed = true;
          burst_left = s.burst_packets_at_resume;
        }
        account(next_arrival_s);
        for (std::size_t i = 0; i <= burst_left; ++i) jb.push(kFormat, packet, at(next_arrival_s));
        burst_left = 0;
        settle(next_arrival_s);
      }
      ++sent;
      next_arrival_s = static_cast<double>(sent) * send_period_s + base_delay_s +
                       rng.uniform(-s.jitter_ms, s.jitter_ms) * 1e-3;
    } else {
      account(next_render_s);
      jb.render(block, at(next_render_s));
      settle(next_render_s);
      if (rendered >= last_second_from) {
        out.last_second.insert(out.last_second.end(), block.begin(), block.end());
      }
      ++rendered;
    }
  }
  out.stats = jb.stats();
  out.last_correction = jb.correction();
  return out;
}

double max_error_after(const Outcome& o, std::size_t startup_s, double target_ms) {
  double worst = 0.0;
  for (std::size_t i = startup_s; i < o.window_latency_ms.size(); ++i) {
    worst = std::max(worst, std::abs(o.window_latency_ms[i] - target_ms));
  }
  return worst;
}

constexpr std::size_t kStartupSeconds = 5;
constexpr double kTargetMs = 20.0;

void expect_holds_target(double sender_speed, std::uint64_t seed) {
  JitterBuffer jb;
  const Outcome o = simulate(Scenario{.sender_speed = sender_speed, .seed = seed}, jb);
  const double worst = max_error_after(o, kStartupSeconds, kTargetMs);
  std::printf(
      "sender x%.3f: max |latency - target| after %zu s = %.3f ms over %zu s, min instantaneous "
      "latency %.2f ms, underruns %llu, gaps %llu, correction %.5f\n",
      sender_speed, kStartupSeconds, worst, o.window_latency_ms.size(), o.min_latency_ms,
      static_cast<unsigned long long>(o.stats.underruns),
      static_cast<unsigned long long>(o.stats.gaps), o.last_correction);
  ASSERT_GE(o.window_latency_ms.size(), 3599U);
  EXPECT_LT(worst, 5.0);
  EXPECT_EQ(o.stats.underruns, 0U);
  EXPECT_EQ(o.stats.gaps, 0U);
  EXPECT_EQ(o.stats.overflows, 0U);
  // The controller learnt the drift: consuming (speed - 1) faster than nominal.
  EXPECT_NEAR(o.last_correction, sender_speed - 1.0, 0.0005);
  // The sine plays at the sender's true-time frequency, at its level, without a click: fits
  // over 20 ms windows of the last second. The ratio wanders by about 1e-4 (0.2 cent), which
  // leaves ~-46 dB of phase error in a window; 1 Hz off, or any click, leaves far more.
  const auto left = test::channel(o.last_second, 2, 0);
  double worst_snr_db = 1e9;
  for (std::size_t from = 0; from + 960 <= left.size(); from += 960) {
    const auto fit =
        test::fit_sine(std::span(left).subspan(from, 960), kSineHz * sender_speed, kRateHz);
    EXPECT_NEAR(fit.amplitude, 0.5, 0.005);
    worst_snr_db = std::min(worst_snr_db, fit.snr_db());
  }
  std::printf("  1 kHz sine at %.1f Hz in 20 ms windows: worst SNR %.1f dB\n",
              kSineHz * sender_speed, worst_snr_db);
  EXPECT_GT(worst_snr_db, 40.0);
}

TEST(AudioDrift, SenderClockFastByHalfAPercentForAnHour) {
  expect_holds_target(1.005, 1);
}

TEST(AudioDrift, SenderClockSlowByHalfAPercentForAnHour) {
  expect_holds_target(0.995, 2);
}

}  // namespace
}  // namespace periscope::audio

namespace periscope::audio {
namespace {

double mean_of(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double sum = 0.0;
  for (std::size_t i = from; i < to; ++i) sum += v[i];
  return sum / static_cast<double>(to - from);
}

TEST(AudioDrift, AfterASilenceGapTheLatencyIsTheTargetNotTargetPlusGap) {
  // The driver goes quiet for 3 s (near-silent audio), then sends again.
  JitterBuffer jb;
  const Outcome o = simulate(
      Scenario{.sender_speed = 1.003, .seconds = 30.0, .pause_from_s = 10.0, .pause_to_s = 13.0},
      jb);
  std::printf("gap: mean latency before %.2f ms, after %.2f ms, gaps %llu, underruns %llu\n",
              mean_of(o.window_latency_ms, 5, 10), mean_of(o.window_latency_ms, 15, 29),
              static_cast<unsigned long long>(o.stats.gaps),
              static_cast<unsigned long long>(o.stats.underruns));
  EXPECT_EQ(o.stats.gaps, 1U);
  EXPECT_EQ(o.stats.underruns, 0U);
  ASSERT_EQ(o.window_latency_ms.size(), 29U) << "whole seconds";
  for (std::size_t s = 14; s < o.window_latency_ms.size(); ++s) {
    EXPECT_NEAR(o.window_latency_ms[s], kTargetMs, 2.0) << "second " << s;
  }
  // The drift learnt before the gap was kept: no new start-up transient.
  EXPECT_NEAR(o.last_correction, 0.003, 0.0005);
}

TEST(AudioDrift, ABacklogBurstAtResumeIsDroppedNotPlayedAsLatency) {
  // Same gap, but the first packets after it come as a burst of 20 (120 ms of audio, below
  // the overflow limit), as a network queue or a sender flushing its buffer would deliver them.
  JitterBuffer jb;
  const Outcome o = simulate(
      Scenario{
          .seconds = 20.0, .pause_from_s = 8.0, .pause_to_s = 9.0, .burst_packets_at_resume = 20},
      jb);
  std::printf("burst: mean latency after %.2f ms, frames dropped %llu\n",
              mean_of(o.window_latency_ms, 10, 19),
              static_cast<unsigned long long>(o.stats.frames_dropped));
  EXPECT_EQ(o.stats.gaps, 1U);
  EXPECT_EQ(o.stats.underruns, 0U);
  // All of the burst but what playback starts with (the target, half a block and half a
  // packet: 1232 frames) is dropped.
  EXPECT_GE(o.stats.frames_dropped, 21 * kPacketFrames - 1232);
  ASSERT_EQ(o.window_latency_ms.size(), 19U) << "whole seconds";
  for (std::size_t s = 10; s < o.window_latency_ms.size(); ++s) {
    EXPECT_NEAR(o.window_latency_ms[s], kTargetMs, 2.0) << "second " << s;
  }
}

}  // namespace
}  // namespace periscope::audio
