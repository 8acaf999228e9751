// JitterBuffer: priming to the target, the fades at every discontinuity, gaps against
// underruns, format changes, overflow. Driven by hand with explicit timestamps.
#include "audio/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "audio_signals.hpp"

namespace periscope::audio {
namespace {

constexpr StreamFormat kStereo48k16{48000, 16, 2, 0x3};
constexpr std::size_t kPacketFrames = 288;
constexpr std::size_t kBlockFrames = 256;

Nanoseconds us(double microseconds) {
  return Nanoseconds(std::llround(microseconds * 1e3));
}

// A sender and an output on ideal clocks, interleaved in time order, recording the output.
class Driver {
 public:
  explicit Driver(JitterBuffer& jb, StreamFormat format = kStereo48k16)
      : jb_(jb), format_(format) {}

  void set_format(const StreamFormat& format) { format_ = format; }
  // PCM for the next packet: a 1 kHz sine at 0.5 unless constant_ is set.
  std::vector<std::byte> next_packet() {
    const std::size_t frames = 1152 / format_.bytes_per_frame();
    std::vector<std::byte> pcm;
    if (constant_) {
      std::vector<float> samples(frames * format_.channels, *constant_);
      pcm.resize(frames * format_.bytes_per_frame());
      encode_pcm(format_.bits, samples, pcm);
    } else {
      pcm = test::sine_pcm(format_, 1000.0, 0.5, sent_frames_, frames);
    }
    sent_frames_ += frames;
    return pcm;
  }
  // Runs until `until_us`, the sender sending when `sending` (every packet period of the
  // current format, stretched by `sender_slowdown`).
  void run(double until_us, bool sending = true, double sender_slowdown = 1.0) {
    for (;;) {
      const double packet_us =
          1152.0 / format_.bytes_per_frame() * 1e6 / format_.rate_hz * sender_slowdown;
      const double render_us = static_cast<double>(rendered_) * kBlockFrames * 1e6 / 48000.0;
      if (!sending) next_send_us_ = std::max(next_send_us_, until_us);
      const double next = std::min(next_send_us_, render_us);
      if (next >= until_us) return;
      if (next_send_us_ <= render_us) {
        jb_.push(format_, next_packet(), us(next_send_us_));
        next_send_us_ += packet_us;
      } else {
        std::vector<float> block(kBlockFrames * 2);
        jb_.render(block, us(render_us));
        output_.insert(output_.end(), block.begin(), block.end());
        ++rendered_;
      }
    }
  }
  [[nodiscard]] const std::vector<float>& output() const { return output_; }
  void constant(float value) { constant_ = value; }

 private:
  JitterBuffer& jb_;
  StreamFormat format_;
  std::size_t sent_frames_{0};
  std::size_t rendered_{0};
  double next_send_us_{0.0};
  std::optional<float> constant_;
  std::vector<float> output_;
};

// The largest jump between neighbouring output samples of one channel.
float largest_step(const std::vector<float>& interleaved, std::size_t from_frame = 0) {
  float worst = 0.0F;
  for (std::size_t i = (from_frame + 1) * 2; i < interleaved.size(); ++i) {
    worst = std::max(worst, std::abs(interleaved[i] - interleaved[i - 2]));
  }
  return worst;
}

// The steepest a 0.5 sine at 1 kHz moves per frame at 48 kHz, with a little room.
constexpr float kSineSlope = static_cast<float>(0.5 * 2 * 3.14159265 * 1000 / 48000 * 1.05);

TEST(JitterBuffer, PrimesToTheTargetAndDropsTheExcessBeforePlaying) {
  JitterBuffer jb;
  std::vector<float> block(kBlockFrames * 2, 1.0F);
  Driver d(jb);
  EXPECT_EQ(jb.state(), PlayoutState::kIdle);
  jb.render(block, us(0));
  EXPECT_TRUE(std::all_of(block.begin(), block.end(), [](float v) { return v == 0.0F; }));
  // Playback starts half a block and half a packet above the 960-frame target (the level's
  // mean then sits on the target): 960 + (256 + 288) / 2 = 1232 frames.
  for (int i = 0; i < 4; ++i) jb.push(kStereo48k16, d.next_packet(), us(i * 6000));
  EXPECT_EQ(jb.state(), PlayoutState::kPriming);
  jb.render(block, us(19000));
  EXPECT_EQ(jb.state(), PlayoutState::kPriming) << "1152 frames < 1232";
  EXPECT_TRUE(std::all_of(block.begin(), block.end(), [](float v) { return v == 0.0F; }));
  jb.push(kStereo48k16, d.next_packet(), us(24000));
  jb.render(block, us(24100));
  EXPECT_EQ(jb.state(), PlayoutState::kPlaying);
  EXPECT_EQ(jb.stats().frames_dropped, 5 * kPacketFrames - 1232) << "the excess goes";
  EXPECT_EQ(jb.effective_target(), Milliseconds(20)) << "one packet at a time: not bursty";
  // The first frames fade in from silence.
  EXPECT_LT(std::abs(block[0]), 0.01F);
  // The block has been taken: the target plus half a packet minus half a block.
  EXPECT_NEAR(to_ms(jb.latency()), 20.0 + (6.0 - 256.0 / 48.0) / 2, 0.5);
}

TEST(JitterBuffer, SenderPauseIsAGapWithAFadeOutAndNoClick) {
  JitterBuffer jb;
  Driver d(jb);
  d.constant(0.5F);  // the worst case for a click: a cut from 0.5 straight to 0
  d.run(500'000);
  ASSERT_EQ(jb.state(), PlayoutState::kPlaying);
  d.run(800'000, /*sending=*/false);
  EXPECT_EQ(jb.stats().gaps, 1U);
  EXPECT_EQ(jb.stats().underruns, 0U);
  EXPECT_EQ(jb.state(), PlayoutState::kPriming);
  d.run(1'500'000);
  EXPECT_EQ(jb.state(), PlayoutState::kPlaying);
  // Ramps of 2 ms (96 frames) from and to 0.5: steps of about 0.5 / 96 (a little more where
  // the resampler's kernel meets the start of the signal), never a cut of 0.5.
  EXPECT_LT(largest_step(d.output()), 0.01F);
  EXPECT_NEAR(d.output()[d.output().size() - 2], 0.5F, 1e-3F) << "playing again";
}

TEST(JitterBuffer, RunningDryWhileTheSenderSendsIsAnUnderrun) {
  JitterBufferOptions options;
  options.drift.max_correction = 0.01;
  JitterBuffer jb(options);
  Driver d(jb);
  d.run(500'000);
  // 3 % slower than the output: beyond what the controller may correct.
  d.run(5'000'000, true, 1.03);
  EXPECT_GE(jb.stats().underruns, 1U);
  EXPECT_EQ(jb.stats().gaps, 0U);
  EXPECT_LE(jb.correction(), 0.0);
}

TEST(JitterBuffer, FormatChangeFlushesReconfiguresAndDoesNotClick) {
  JitterBuffer jb;
  Driver d(jb);
  d.run(1'000'000);
  const std::size_t switch_frame = d.output().size() / 2;
  d.set_format(StreamFormat{44100, 24, 2, 0x3});
  d.run(3'000'000);
  EXPECT_EQ(jb.stats().format_changes, 1U);
  EXPECT_EQ(jb.stats().underruns, 0U);
  EXPECT_EQ(jb.stats().gaps, 0U);
  ASSERT_TRUE(jb.format());
  EXPECT_EQ(jb.format()->rate_hz, 44100U);
  EXPECT_EQ(jb.state(), PlayoutState::kPlaying);
  EXPECT_LT(largest_step(d.output()), kSineSlope);
  // After the switch the 44.1 kHz sine plays at 1 kHz at 48 kHz, at its level.
  const auto left = test::channel(d.output(), 2, 0);
  const std::size_t from = switch_frame + 48000;  // a second after the switch
  const auto fit = test::fit_sine(std::span(left).subspan(from, 960), 1000.0, 48000.0);
  EXPECT_NEAR(fit.amplitude, 0.5, 0.005);
  // Played at 48 kHz unconverted it would be 1088 Hz (SNR ~0 dB); what is left here is the
  // controller settling after the restart (a few parts in 10^4 of ratio).
  EXPECT_GT(fit.snr_db(), 30.0);
  EXPECT_NEAR(to_ms(jb.controller().smoothed_latency()), 20.0, 3.0);
}

TEST(JitterBuffer, OverflowCutsBackToTheTarget) {
  JitterBuffer jb;
  Driver d(jb);
  d.run(500'000);
  // A backlog of 200 ms arrives at once (the output stalled, or the network held it).
  const Nanoseconds now = us(500'000);
  for (int i = 0; i < 34; ++i) jb.push(kStereo48k16, d.next_packet(), now);
  std::vector<float> block(kBlockFrames * 2);
  jb.render(block, now);
  EXPECT_EQ(jb.stats().overflows, 1U);
  EXPECT_LT(jb.latency(), Milliseconds(20));
  EXPECT_GT(jb.stats().frames_dropped, 34 * kPacketFrames - 960);
}

TEST(JitterBuffer, RejectsInvalidFormatsAndIgnoresPartialFrames) {
  JitterBuffer jb;
  const std::vector<std::byte> pcm(1150);
  jb.push(StreamFormat{48000, 20, 2, 3}, pcm, us(0));
  jb.push(StreamFormat{0, 16, 2, 3}, pcm, us(0));
  EXPECT_EQ(jb.stats().packets_rejected, 2U);
  EXPECT_EQ(jb.state(), PlayoutState::kIdle);
  jb.push(kStereo48k16, std::span(pcm).first(3), us(0));
  EXPECT_EQ(jb.stats().frames_in, 0U);
  jb.push(kStereo48k16, pcm, us(0));
  EXPECT_EQ(jb.stats().frames_in, 287U) << "1150 bytes: 287 frames and 2 bytes";
}

}  // namespace
}  // namespace periscope::audio
