// The channel mixer and the frame FIFO.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "audio/channel_mixer.hpp"
#include "audio/frame_fifo.hpp"

namespace periscope::audio {
namespace {

std::vector<float> mix(const ChannelMixer& m, const std::vector<float>& in, std::size_t out_ch) {
  std::vector<float> out(out_ch, -9.0F);
  m.mix(in, out, 1);
  return out;
}

TEST(AudioChannelMixer, SameCountPassesThrough) {
  ChannelMixer m;
  m.configure(2, 0x3, 2);
  EXPECT_EQ(mix(m, {0.25F, -0.5F}, 2), (std::vector<float>{0.25F, -0.5F}));
}

TEST(AudioChannelMixer, MonoGoesToEverySpeaker) {
  ChannelMixer m;
  m.configure(1, 0x4, 2);
  EXPECT_EQ(mix(m, {0.5F}, 2), (std::vector<float>{0.5F, 0.5F}));
}

TEST(AudioChannelMixer, StereoToMonoAverages) {
  ChannelMixer m;
  m.configure(2, 0x3, 1);
  EXPECT_EQ(mix(m, {0.5F, 0.25F}, 1), (std::vector<float>{0.375F}));
}

TEST(AudioChannelMixer, SurroundFoldsIntoStereoByTheMask) {
  ChannelMixer m;
  m.configure(6, 0x3f, 2);  // FL FR FC LFE BL BR
  const auto left_only = mix(m, {1, 0, 0, 0, 0, 0}, 2);
  EXPECT_GT(left_only[0], 0.0F);
  EXPECT_EQ(left_only[1], 0.0F);
  const auto center = mix(m, {0, 0, 1, 0, 0, 0}, 2);
  EXPECT_GT(center[0], 0.0F);
  EXPECT_EQ(center[0], center[1]);
  EXPECT_EQ(mix(m, {0, 0, 0, 1, 0, 0}, 2), (std::vector<float>{0.0F, 0.0F})) << "LFE left out";
  const auto back_right = mix(m, {0, 0, 0, 0, 0, 1}, 2);
  EXPECT_EQ(back_right[0], 0.0F);
  EXPECT_GT(back_right[1], 0.0F);
  // Everything at full scale still fits.
  const auto all = mix(m, {1, 1, 1, 1, 1, 1}, 2);
  EXPECT_LE(all[0], 1.0F + 1e-6F);
  EXPECT_LE(all[1], 1.0F + 1e-6F);
}

TEST(AudioChannelMixer, MaskOrderDecidesWhichChannelIsWhichSpeaker) {
  ChannelMixer m;
  // Two channels flagged FR and SL (bits 1 and 9): channel 0 is FR, channel 1 is SL.
  m.configure(3, (1 << 1) | (1 << 9) | (1 << 0), 2);  // FL FR SL
  const auto sl = mix(m, {0, 0, 1}, 2);
  EXPECT_GT(sl[0], 0.0F);
  EXPECT_EQ(sl[1], 0.0F);
  // A mask with too few bits falls back to the Windows order (FL FR FC).
  m.configure(3, 0, 2);
  const auto fc = mix(m, {0, 0, 1}, 2);
  EXPECT_GT(fc[0], 0.0F);
  EXPECT_EQ(fc[0], fc[1]);
}

TEST(AudioChannelMixer, OtherCountsKeepTheChannelsBothHave) {
  ChannelMixer m;
  m.configure(8, 0xff, 6);
  EXPECT_EQ(mix(m, {1, 2, 3, 4, 5, 6, 7, 8}, 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

std::vector<float> drain(FrameFifo& f, std::size_t frames) {
  std::vector<float> out;
  for (const auto piece : f.peek(frames)) out.insert(out.end(), piece.begin(), piece.end());
  f.discard(frames);
  return out;
}

TEST(AudioFrameFifo, KeepsOrderAcrossTheWrap) {
  FrameFifo f;
  f.configure(2, 5);
  EXPECT_EQ(f.push(std::vector<float>{1, 1, 2, 2, 3, 3}), 0U);
  EXPECT_EQ(drain(f, 2), (std::vector<float>{1, 1, 2, 2}));
  EXPECT_EQ(f.push(std::vector<float>{4, 4, 5, 5, 6, 6, 7, 7}), 0U);
  EXPECT_EQ(f.fill_frames(), 5U);
  const auto pieces = f.peek(5);
  EXPECT_EQ(pieces[0].size() + pieces[1].size(), 10U);
  EXPECT_FALSE(pieces[1].empty()) << "the ring wrapped";
  EXPECT_EQ(drain(f, 5), (std::vector<float>{3, 3, 4, 4, 5, 5, 6, 6, 7, 7}));
  EXPECT_EQ(f.fill_frames(), 0U);
}

TEST(AudioFrameFifo, WhenFullTheOldestMakeRoom) {
  FrameFifo f;
  f.configure(1, 4);
  f.push(std::vector<float>{1, 2, 3});
  EXPECT_EQ(f.push(std::vector<float>{4, 5, 6}), 2U);
  EXPECT_EQ(drain(f, 4), (std::vector<float>{3, 4, 5, 6}));
  EXPECT_EQ(f.push(std::vector<float>{1, 2, 3, 4, 5, 6, 7}), 3U) << "more than fits at once";
  EXPECT_EQ(drain(f, 9), (std::vector<float>{4, 5, 6, 7}));
}

TEST(AudioFrameFifo, DiscardAndPeekStopAtTheFill) {
  FrameFifo f;
  f.configure(1, 8);
  f.push(std::vector<float>{1, 2});
  EXPECT_EQ(f.peek(10)[0].size(), 2U);
  EXPECT_EQ(f.discard(10), 2U);
  EXPECT_EQ(f.discard(1), 0U);
}

}  // namespace
}  // namespace periscope::audio
