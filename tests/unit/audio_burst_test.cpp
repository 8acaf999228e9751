// A bursty sender, simulated: what a Linux guest sends with `audio-send --capture pipewire`.
// Its capture stream gets one PipeWire quantum at a time (1024 frames, 21.33 ms, or 2048) and
// sends it at once as whole 288-frame datagrams (the remainder waits for the next quantum, so
// bursts alternate between 3 and 4 datagrams), instead of one datagram every 6 ms like the
// Windows driver. The output pulls 256-frame blocks on its own clock, all in virtual time.
//
// What a listener hears is measured, and compared with a steady sender in the same conditions:
// the pitch error (the resampling ratio against the one that matches the two clocks), how long
// it stays above 0.2 % (about 3.5 cents), when it settles within 0.1 % and 0.05 %, restarts
// (running dry: an underrun or a gap, each a fade out and in), overflows, and the latency
// against the target. Each case is 40 s of virtual time; bursts arrive with +-1 ms of jitter.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "audio/jitter_buffer.hpp"
#include "audio_signals.hpp"

namespace periscope::audio {
namespace {

constexpr StreamFormat kFormat{48000, 16, 2, 0x3};
constexpr std::size_t kPacketFrames = 288;  // 1152 bytes of 16-bit stereo, as the driver sends
constexpr double kRateHz = 48000.0;
constexpr double kBaseDelayS = 0.003;     // so jitter never makes an arrival precede its send
constexpr double kPacketSpacingS = 2e-5;  // datagrams of one burst, back to back

Nanoseconds at(double seconds) {
  return Nanoseconds(std::llround(seconds * 1e9));
}

struct Scenario {
  std::size_t quantum_frames{1024};  // frames the sender gets at a time; 288: a steady sender
  double sender_speed{1.0};          // the sender's clock against true time (the output's is 1)
  double target_ms{20.0};
  double seconds{40.0};
  double jitter_ms{1.0};  // each quantum's arrival, uniform in +-jitter
  std::size_t block_frames{256};
  std::uint64_t seed{1};
};

struct Outcome {
  double max_error{0.0};        // |pitch error|, while playing
  double seconds_above{0.0};    // total time the pitch error was above 0.2 %
  double longest_above_s{0.0};  // the longest stretch of it
  double settle_s{0.0};         // from the start of playback to the last time above 0.1 %
  double settle_fine_s{0.0};    // the same for 0.05 %
  double late_max_error{0.0};   // |pitch error| in the last 20 s
  double mean_latency_ms{0.0};  // time-weighted, over the last 10 s
  double min_latency_ms{1e9};   // instantaneous, while playing
  JitterBufferStats stats;
  double last_correction{0.0};
  [[nodiscard]] std::uint64_t restarts() const { return stats.underruns + stats.gaps; }
};

constexpr double kAudibleError = 0.002;  // 0.2 %: about 3.5 cents
constexpr double kSettledError = 0.001;
constexpr double kFinelySettledError = 0.0005;

Outcome simulate(const Scenario& s) {
  JitterBufferOptions options;
  options.target_latency = from_seconds(s.target_ms / 1000.0);
  JitterBuffer jb(options);
  test::Rng rng(s.seed);
  // 288 frames of a 1 kHz sine are 6 whole cycles: every packet can be the same.
  const auto packet = test::sine_pcm(kFormat, 1000.0, 0.5, 0, kPacketFrames);
  const double quantum_s = static_cast<double>(s.quantum_frames) / kRateHz / s.sender_speed;
  const double block_s = static_cast<double>(s.block_frames) / kRateHz;
  // The ratio that matches the clocks: consume input as fast as the sender makes it.
  const double true_ratio = s.sender_speed;

  Outcome out;
  std::vector<float> block(s.block_frames * 2);
  std::size_t quanta = 0;
  std::size_t pending_frames = 0;  // captured, not yet a whole datagram
  std::vector<double> arrivals;    // the current burst's datagrams
  std::size_t next_packet = 0;
  std::size_t rendered = 0;
  bool played = false;
  double play_start_s = 0.0;
  double last_unsettled_s = 0.0;
  double last_finely_unsettled_s = 0.0;
  double above_since_s = -1.0;
  double prev_render_s = 0.0;
  double prev_error = 0.0;
  const double latency_from_s = s.seconds - 10.0;
  double latency_weighted = 0.0;
  double last_event_s = 0.0;
  double last_latency_s = 0.0;

  const auto account = [&](double now_s) {
    const double from = std::max(last_event_s, latency_from_s);
    if (now_s > from) latency_weighted += last_latency_s * (now_s - from);
    last_event_s = now_s;
  };
  const auto settle = [&] {
    last_latency_s = std::chrono::duration<double>(jb.latency()).count();
    if (jb.state() == PlayoutState::kPlaying) {
      out.min_latency_ms = std::min(out.min_latency_ms, last_latency_s * 1e3);
    }
  };
  const auto refill = [&] {
    // The next quantum: captured on the sender's clock, sent as whole datagrams at once.
    while (next_packet >= arrivals.size()) {
      const double t = static_cast<double>(quanta) * quantum_s + kBaseDelayS +
                       rng.uniform(-s.jitter_ms, s.jitter_ms) * 1e-3;
      ++quanta;
      pending_frames += s.quantum_frames;
      arrivals.clear();
      next_packet = 0;
      for (std::size_t i = 0; pending_frames >= kPacketFrames; ++i) {
        arrivals.push_back(t + static_cast<double>(i) * kPacketSpacingS);
        pending_frames -= kPacketFrames;
      }
    }
  };

  for (;;) {
    refill();
    const double render_s = static_cast<double>(rendered) * block_s;
    if (render_s >= s.seconds) break;
    if (arrivals[next_packet] <= render_s) {
      account(arrivals[next_packet]);
      jb.push(kFormat, packet, at(arrivals[next_packet]));
      settle();
      ++next_packet;
      continue;
    }
    account(render_s);
    // The pitch of the block before this one, held since it was rendered.
    if (played) {
      const double dt = render_s - prev_render_s;
      if (std::abs(prev_error) > kAudibleError) {
        out.seconds_above += dt;
        if (above_since_s < 0) above_since_s = prev_render_s;
        out.longest_above_s = std::max(out.longest_above_s, render_s - above_since_s);
      } else {
        above_since_s = -1.0;
      }
      if (std::abs(prev_error) > kSettledError) last_unsettled_s = render_s;
      if (std::abs(prev_error) > kFinelySettledError) last_finely_unsettled_s = render_s;
    }
    const bool playing_before = jb.state() == PlayoutState::kPlaying;
    jb.render(block, at(render_s));
    settle();
    if (jb.state() == PlayoutState::kPlaying || playing_before) {
      if (!played) play_start_s = render_s;
      played = true;
      prev_error = (1.0 + jb.correction()) / true_ratio - 1.0;
      out.max_error = std::max(out.max_error, std::abs(prev_error));
      if (render_s >= s.seconds - 20.0) {
        out.late_max_error = std::max(out.late_max_error, std::abs(prev_error));
      }
    } else {
      prev_error = 0.0;  // silence has no pitch
    }
    prev_render_s = render_s;
    ++rendered;
  }
  account(s.seconds);
  out.mean_latency_ms = latency_weighted / (s.seconds - latency_from_s) * 1e3;
  out.settle_s = played ? std::max(0.0, last_unsettled_s - play_start_s) : s.seconds;
  out.settle_fine_s = played ? std::max(0.0, last_finely_unsettled_s - play_start_s) : s.seconds;
  out.stats = jb.stats();
  out.last_correction = jb.correction();
  return out;
}

void print(const char* what, const Scenario& s, const Outcome& o) {
  std::printf(
      "%-6s quantum %4zu, sender x%.3f, target %2.0f ms: pitch error max %.3f %%, above 0.2 %% "
      "for %.2f s (longest %.2f s), within 0.1 %% after %.2f s, 0.05 %% after %.2f s, last 20 s "
      "within %.3f %%; latency %.2f ms (min %.2f); underruns %llu gaps %llu overflows %llu\n",
      what, s.quantum_frames, s.sender_speed, s.target_ms, o.max_error * 100, o.seconds_above,
      o.longest_above_s, o.settle_s, o.settle_fine_s, o.late_max_error * 100, o.mean_latency_ms,
      o.min_latency_ms, static_cast<unsigned long long>(o.stats.underruns),
      static_cast<unsigned long long>(o.stats.gaps),
      static_cast<unsigned long long>(o.stats.overflows));
}

// The bars a bursty sender must meet, against a steady sender in the same conditions.
void expect_as_good_as_steady(const Scenario& bursty) {
  Scenario steady = bursty;
  steady.quantum_frames = kPacketFrames;
  const Outcome b = simulate(bursty);
  const Outcome ref = simulate(steady);
  print("steady", steady, ref);
  print("bursty", bursty, b);

  // The steady sender itself (the reference) is fine.
  EXPECT_EQ(ref.restarts(), 0U);
  // Never running dry, at any target: each restart is a fade out, silence and a fade in.
  EXPECT_EQ(b.stats.underruns, 0U);
  EXPECT_EQ(b.stats.gaps, 0U);
  EXPECT_EQ(b.stats.overflows, 0U);
  // The pitch. With exact clocks, never above 0.2 %. With drift, which the controller must
  // learn in either case (0.5 % off at first, for a second or two), at most 350 ms more above
  // 0.2 % than the steady sender (where the burst pattern puts the start, up to half a datagram
  // off, can add to the drift's own excursion; the worst case here is +0.3 s, most are less than
  // the steady sender) and 0.05 % more at worst. Within 0.1 % after 5 s at most.
  // (Before bursts were handled: 1 % for seconds, settling after 9-14 s, and hundreds of
  // restarts with 43 ms bursts at 20 ms.)
  if (bursty.sender_speed == 1.0) {
    EXPECT_LT(b.max_error, kAudibleError);
  } else {
    EXPECT_LE(b.seconds_above, ref.seconds_above + 0.35);
    EXPECT_LE(b.max_error, ref.max_error + 0.0005);
  }
  EXPECT_LE(b.settle_s, 5.0);
  // It learnt the drift.
  EXPECT_NEAR(b.last_correction, bursty.sender_speed - 1.0, 0.0005);
  // The latency is the target, unless the target is too small for the bursts: then what they
  // need, (burst + block) / 2 + a datagram + 6 ms, and not more.
  const double burst_ms = static_cast<double>(bursty.quantum_frames) / 48.0;
  const double block_ms = static_cast<double>(bursty.block_frames) / 48.0;
  const double needed_ms = (burst_ms + block_ms) / 2 + 6.0 + 6.0;
  EXPECT_NEAR(b.mean_latency_ms, std::max(bursty.target_ms, needed_ms), 2.0);
  EXPECT_NEAR(ref.mean_latency_ms, bursty.target_ms, 1.0) << "a steady sender keeps the target";
}

struct BurstCase {
  std::size_t quantum_frames;
  double sender_speed;
  double target_ms;
};

class AudioBursts : public ::testing::TestWithParam<BurstCase> {};

TEST_P(AudioBursts, PlayAsWellAsASteadySender) {
  const BurstCase c = GetParam();
  expect_as_good_as_steady({.quantum_frames = c.quantum_frames,
                            .sender_speed = c.sender_speed,
                            .target_ms = c.target_ms});
}

TEST(AudioBurstsEndToEnd, BothEndsOnA1024FrameQuantumAt60Ms) {
  // As in tests/integration/audio_capture_test.cpp: sender and receiver in one PipeWire graph
  // at a 1024-frame quantum (the output takes 21.3 ms at a time too), the clocks drifting.
  for (const double speed : {1.0, 1.005, 0.995}) {
    expect_as_good_as_steady(
        {.quantum_frames = 1024, .sender_speed = speed, .target_ms = 60.0, .block_frames = 1024});
  }
}

TEST(AudioBurstsSteadySender, AStartUpBunchIsNotTakenForItsPattern) {
  // A steady sender whose first 100 ms arrive at once (the receiving thread was not scheduled,
  // as on a loaded machine). Taken for its burst pattern, that bunch would start playback
  // ~50 ms above the target (1 % of pitch for seconds) and raise the target for good; it is
  // left out, and the start is a steady sender's (its sawtooth's top: a few ms above the mean,
  // a few tenths of a percent while the loop settles, as in the steady cases above).
  JitterBuffer jb;
  const auto packet = test::sine_pcm(kFormat, 1000.0, 0.5, 0, kPacketFrames);
  test::Rng rng(7);
  std::vector<float> block(256 * 2);
  std::size_t sent = 0;
  std::size_t rendered = 0;
  double worst_error = 0.0;
  double weighted = 0.0;
  for (;;) {
    const double send_s = static_cast<double>(sent) * 0.006;
    const double arrival_s = send_s < 0.1 ? 0.1 : send_s + rng.uniform(0.0, 0.002);
    const double render_s = static_cast<double>(rendered) * 256 / kRateHz;
    if (render_s >= 20.0) break;
    if (arrival_s <= render_s) {
      jb.push(kFormat, packet, at(arrival_s));
      ++sent;
      continue;
    }
    jb.render(block, at(render_s));
    if (jb.state() == PlayoutState::kPlaying) {
      worst_error = std::max(worst_error, std::abs(jb.correction()));
      if (render_s >= 10.0) weighted += to_ms(jb.latency()) * 256 / kRateHz;
    }
    ++rendered;
  }
  std::printf("start-up bunch: pitch error max %.3f %%, level after each block %.2f ms\n",
              worst_error * 100, weighted / 10.0);
  EXPECT_LT(worst_error, 0.006);
  // The level after each block: the target less half a block (a raised target would show).
  EXPECT_NEAR(weighted / 10.0, 20.0 - 256 / 48.0 / 2, 1.5);
  EXPECT_EQ(jb.stats().underruns + jb.stats().gaps, 0U);
}

std::string case_name(const ::testing::TestParamInfo<BurstCase>& info) {
  const BurstCase& c = info.param;
  const char* drift = c.sender_speed > 1.0 ? "Fast" : c.sender_speed < 1.0 ? "Slow" : "Exact";
  return "Quantum" + std::to_string(c.quantum_frames) + "Sender" + drift + "Target" +
         std::to_string(static_cast<int>(c.target_ms)) + "ms";
}

std::vector<BurstCase> all_cases() {
  std::vector<BurstCase> cases;
  for (const std::size_t quantum : {1024U, 2048U}) {
    for (const double speed : {1.0, 1.005, 0.995}) {
      for (const double target : {20.0, 40.0, 60.0}) cases.push_back({quantum, speed, target});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(PipeWireQuanta, AudioBursts, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace periscope::audio
