// PCM <-> float: exact for 16 and 24 bit, little-endian, clipped and rounded on the way out.
#include "audio/pcm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace periscope::audio {
namespace {

std::vector<std::byte> le_samples(std::uint32_t first, std::uint32_t count, std::size_t bytes) {
  std::vector<std::byte> out(count * bytes);
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::size_t b = 0; b < bytes; ++b) {
      out[i * bytes + b] = static_cast<std::byte>(((first + i) >> (8 * b)) & 0xff);
    }
  }
  return out;
}

TEST(AudioPcm, SixteenBitRoundTripIsBitExact) {
  const auto pcm = le_samples(0, 65536, 2);
  std::vector<float> samples(65536);
  ASSERT_EQ(decode_pcm(16, pcm, samples), 65536U);
  std::vector<std::byte> back(pcm.size());
  ASSERT_EQ(encode_pcm(16, samples, back), pcm.size());
  EXPECT_EQ(back, pcm);
}

TEST(AudioPcm, TwentyFourBitRoundTripIsBitExact) {
  // All 2^24 values, a block at a time.
  constexpr std::uint32_t kBlock = 1U << 16;
  std::vector<float> samples(kBlock);
  std::vector<std::byte> back(kBlock * 3);
  for (std::uint32_t first = 0; first < (1U << 24); first += kBlock) {
    const auto pcm = le_samples(first, kBlock, 3);
    ASSERT_EQ(decode_pcm(24, pcm, samples), kBlock);
    ASSERT_EQ(encode_pcm(24, samples, back), pcm.size());
    ASSERT_EQ(back, pcm) << "block at " << first;
  }
}

TEST(AudioPcm, ValuesAreSignedLittleEndianFullScale) {
  std::vector<float> s(4);
  decode_pcm(16, le_samples(0x1234, 1, 2), s);
  EXPECT_EQ(s[0], 0x1234 / 32768.0F);
  decode_pcm(16, le_samples(0x8000, 1, 2), s);
  EXPECT_EQ(s[0], -1.0F);
  decode_pcm(24, le_samples(0x800000, 1, 3), s);
  EXPECT_EQ(s[0], -1.0F);
  decode_pcm(24, le_samples(0xffffff, 1, 3), s);
  EXPECT_EQ(s[0], -1.0F / 8388608.0F);
  decode_pcm(32, le_samples(0x80000000, 1, 4), s);
  EXPECT_EQ(s[0], -1.0F);
  decode_pcm(32, le_samples(0x40000000, 1, 4), s);
  EXPECT_EQ(s[0], 0.5F);
}

TEST(AudioPcm, EncodeClipsAndSilencesNaN) {
  const std::vector<float> in = {1.5F, -2.0F, std::numeric_limits<float>::quiet_NaN(), 0.5F,
                                 std::numeric_limits<float>::infinity()};
  std::vector<std::byte> out(in.size() * 4);
  encode_pcm(32, in, out);
  std::vector<float> back(in.size());
  decode_pcm(32, out, back);
  EXPECT_FLOAT_EQ(back[0], 1.0F);
  EXPECT_EQ(back[1], -1.0F);
  EXPECT_EQ(back[2], 0.0F);
  EXPECT_EQ(back[3], 0.5F);
  EXPECT_FLOAT_EQ(back[4], 1.0F);
  std::vector<std::byte> out16(in.size() * 2);
  encode_pcm(16, in, out16);
  EXPECT_EQ(out16[0], std::byte{0xff});
  EXPECT_EQ(out16[1], std::byte{0x7f});
  EXPECT_EQ(out16[2], std::byte{0x00});
  EXPECT_EQ(out16[3], std::byte{0x80});
}

TEST(AudioPcm, ConvertsOnlyWhatBothSidesHold) {
  const std::vector<std::byte> pcm(10);
  std::vector<float> out(100, 9.0F);
  EXPECT_EQ(decode_pcm(24, pcm, out), 3U) << "10 bytes hold 3 whole 24-bit samples";
  EXPECT_EQ(out[3], 9.0F);
  EXPECT_EQ(decode_pcm(16, pcm, std::span(out).first(2)), 2U);
  EXPECT_EQ(decode_pcm(20, pcm, out), 0U);
  std::vector<std::byte> small(5);
  EXPECT_EQ(encode_pcm(16, out, small), 4U);
  EXPECT_EQ(encode_pcm(8, out, small), 0U);
}

}  // namespace
}  // namespace periscope::audio
