// The Scream UDP format: every rule of the spec's section 1, byte for byte.
#include "audio/scream_format.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "audio/frame_assembler.hpp"

namespace periscope::audio {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (const int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// A datagram of `size` bytes behind the header given.
std::vector<std::byte> datagram(std::size_t size,
                                std::initializer_list<int> header = {0x01, 16, 2, 0x03, 0x00}) {
  auto out = bytes(header);
  out.resize(size, std::byte{0x5a});
  return out;
}

TEST(ScreamFormat, EveryRateByteOfTheSpec) {
  const std::pair<std::uint8_t, std::uint32_t> table[] = {
      {0x81, 44100},  {0x01, 48000},  {0x82, 88200},       {0x02, 96000},
      {0x04, 192000}, {0x83, 132300}, {0x7f, 48000 * 127}, {0xff, 44100 * 127}};
  for (const auto& [byte, rate] : table) {
    EXPECT_EQ(decode_rate_byte(byte), rate) << int{byte};
    EXPECT_EQ(encode_rate_byte(rate), byte) << rate;
  }
}

TEST(ScreamFormat, MultiplierZeroIsInvalid) {
  EXPECT_FALSE(decode_rate_byte(0x00));
  EXPECT_FALSE(decode_rate_byte(0x80));
  EXPECT_EQ(parse_udp_packet(datagram(1157, {0x00, 16, 2, 3, 0})).error(), ScreamDrop::kBadRate);
  EXPECT_EQ(parse_udp_packet(datagram(1157, {0x80, 16, 2, 3, 0})).error(), ScreamDrop::kBadRate);
}

TEST(ScreamFormat, RatesWithoutARateByteCannotBeEncoded) {
  for (const std::uint32_t rate : {0U, 8000U, 22050U, 32000U, 44100U * 128, 48000U * 128}) {
    EXPECT_FALSE(encode_rate_byte(rate)) << rate;
    EXPECT_FALSE(encode_header(StreamFormat{rate, 16, 2, 3})) << rate;
  }
}

TEST(ScreamFormat, OnlySixteenTwentyFourAndThirtyTwoBits) {
  for (const int bits : {16, 24, 32}) {
    const auto p = parse_udp_packet(datagram(1157, {0x01, bits, 2, 3, 0}));
    ASSERT_TRUE(p) << bits;
    EXPECT_EQ(p->format.bits, bits);
    EXPECT_EQ(p->format.bytes_per_frame(), static_cast<std::uint32_t>(bits / 8 * 2));
  }
  for (const int bits : {0, 8, 15, 17, 20, 23, 25, 31, 33, 64, 255}) {
    EXPECT_EQ(parse_udp_packet(datagram(1157, {0x01, bits, 2, 3, 0})).error(), ScreamDrop::kBadBits)
        << bits;
  }
}

TEST(ScreamFormat, OneToEightChannels) {
  for (int channels = 1; channels <= 8; ++channels) {
    const auto p = parse_udp_packet(datagram(1157, {0x01, 32, channels, 0, 0}));
    ASSERT_TRUE(p) << channels;
    EXPECT_EQ(p->format.channels, channels);
  }
  for (const int channels : {0, 9, 255}) {
    EXPECT_EQ(parse_udp_packet(datagram(1157, {0x01, 16, channels, 3, 0})).error(),
              ScreamDrop::kBadChannels)
        << channels;
  }
}

TEST(ScreamFormat, ChannelMaskIsLittleEndian) {
  const auto p = parse_udp_packet(datagram(1157, {0x02, 24, 6, 0x3f, 0x06}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->format, (StreamFormat{96000, 24, 6, 0x063f}));
}

TEST(ScreamUdp, ExactlyElevenFiftySevenBytesIsWhatTheDriverSends) {
  const auto d = datagram(1157);
  const auto p = parse_udp_packet(d);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->format, (StreamFormat{48000, 16, 2, 3}));
  EXPECT_EQ(p->pcm.data(), d.data() + 5);
  EXPECT_EQ(p->pcm.size(), 1152U);
}

TEST(ScreamUdp, FullDatagramsKeepFramesTheDriverCutInTwo) {
  // 24-bit 5.0: 15-byte frames do not divide 1152; the driver sends them anyway.
  const auto p = parse_udp_packet(datagram(1157, {0x01, 24, 5, 0x37, 0}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pcm.size(), 1152U);
}

TEST(ScreamUdp, SizesAroundTheRule) {
  EXPECT_EQ(parse_udp_packet(datagram(1158)).error(), ScreamDrop::kTooLong);
  EXPECT_EQ(parse_udp_packet(datagram(65507)).error(), ScreamDrop::kTooLong);
  // 1151 bytes of 4-byte frames: a partial frame.
  EXPECT_EQ(parse_udp_packet(datagram(1156)).error(), ScreamDrop::kPartialFrame);
  EXPECT_EQ(parse_udp_packet(datagram(5)).error(), ScreamDrop::kEmptyPayload);
  EXPECT_EQ(parse_udp_packet(datagram(4)).error(), ScreamDrop::kTooShort);
  EXPECT_EQ(parse_udp_packet(datagram(1)).error(), ScreamDrop::kTooShort);
  EXPECT_EQ(parse_udp_packet({}).error(), ScreamDrop::kTooShort);
}

TEST(ScreamUdp, ShorterPayloadsOnlyWithWholeFrames) {
  // 16-bit stereo: 4-byte frames.
  const auto ok = parse_udp_packet(datagram(5 + 40));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->pcm.size(), 40U);
  EXPECT_EQ(parse_udp_packet(datagram(5 + 4)).value().pcm.size(), 4U);
  EXPECT_EQ(parse_udp_packet(datagram(5 + 41)).error(), ScreamDrop::kPartialFrame);
  EXPECT_EQ(parse_udp_packet(datagram(5 + 2)).error(), ScreamDrop::kPartialFrame);
  // 24-bit 5.0: 15-byte frames; 1140 = 76 frames is fine short of 1152, 1150 is not.
  EXPECT_TRUE(parse_udp_packet(datagram(5 + 1140, {0x01, 24, 5, 0, 0})));
  EXPECT_EQ(parse_udp_packet(datagram(5 + 1150, {0x01, 24, 5, 0, 0})).error(),
            ScreamDrop::kPartialFrame);
}

TEST(ScreamUdp, HeaderErrorsComeBeforePayloadErrors) {
  EXPECT_EQ(parse_udp_packet(datagram(1156, {0x01, 16, 0, 3, 0})).error(),
            ScreamDrop::kBadChannels);
  EXPECT_EQ(parse_udp_packet(datagram(5, {0x00, 16, 2, 3, 0})).error(), ScreamDrop::kBadRate);
}

TEST(ScreamUdp, EveryDropReasonHasItsOwnName) {
  std::set<std::string> names;
  for (std::uint8_t r = 0; r < static_cast<std::uint8_t>(ScreamDrop::kCount); ++r) {
    const auto reason = static_cast<ScreamDrop>(r);
    names.emplace(drop_reason_name(reason));
    EXPECT_EQ(to_error(reason).code, ErrorCode::kProtocol);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(ScreamDrop::kCount));
}

TEST(ScreamUdp, EncoderCutsTheStreamLikeTheDriver) {
  const StreamFormat format{44100, 24, 5, 0x0607};
  std::vector<std::byte> pcm(3000);
  for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::byte>(i * 7);
  std::vector<std::vector<std::byte>> sent;
  const std::size_t consumed = encode_udp_packets(
      format, pcm, [&](std::span<const std::byte> d) { sent.emplace_back(d.begin(), d.end()); });
  EXPECT_EQ(consumed, 2304U) << "two whole payloads; 696 bytes wait for more";
  ASSERT_EQ(sent.size(), 2U);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(sent[i].size(), 1157U);
    EXPECT_EQ(std::vector<std::byte>(sent[i].begin(), sent[i].begin() + 5),
              bytes({0x81, 24, 5, 0x07, 0x06}));
    const auto p = parse_udp_packet(sent[i]);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->format, format);
    EXPECT_TRUE(std::equal(p->pcm.begin(), p->pcm.end(),
                           pcm.begin() + static_cast<std::ptrdiff_t>(i * 1152)));
  }
  EXPECT_EQ(encode_udp_packets(StreamFormat{48000, 20, 2, 3}, pcm, [](auto) { FAIL(); }), 0U);
}

TEST(ScreamFrameAssembler, JoinsFramesCutAcrossDatagrams) {
  // 16-bit 5.0: 10-byte frames; 1152 = 115 frames + 2 bytes.
  const StreamFormat format{48000, 16, 5, 0x37};
  std::vector<std::byte> stream(1152 * 10);
  for (std::size_t i = 0; i < stream.size(); ++i) stream[i] = static_cast<std::byte>(i % 251);
  FrameAssembler assembler;
  std::vector<std::byte> out;
  for (std::size_t at = 0; at < stream.size(); at += 1152) {
    const auto frames = assembler.push(format, std::span(stream).subspan(at, 1152));
    EXPECT_EQ(frames.joined.size() % 10, 0U);
    EXPECT_EQ(frames.whole.size() % 10, 0U);
    out.insert(out.end(), frames.joined.begin(), frames.joined.end());
    out.insert(out.end(), frames.whole.begin(), frames.whole.end());
  }
  EXPECT_EQ(assembler.carried_bytes(), 0U) << "11520 bytes are 1152 whole frames";
  EXPECT_EQ(out, stream);
}

TEST(ScreamFrameAssembler, AFormatChangeDropsTheCarriedBytes) {
  FrameAssembler assembler;
  const std::vector<std::byte> pcm(1152);
  assembler.push(StreamFormat{48000, 16, 5, 0}, pcm);
  EXPECT_EQ(assembler.carried_bytes(), 2U);
  const auto frames = assembler.push(StreamFormat{48000, 16, 2, 3}, pcm);
  EXPECT_TRUE(frames.joined.empty());
  EXPECT_EQ(frames.whole.size(), 1152U);
  EXPECT_EQ(assembler.carried_bytes(), 0U);
}

TEST(ScreamFrameAssembler, TinyPiecesAccumulate) {
  FrameAssembler assembler;
  const StreamFormat format{48000, 32, 8, 0xff};  // 32-byte frames
  const auto piece = bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  EXPECT_TRUE(assembler.push(format, piece).whole.empty());
  EXPECT_TRUE(assembler.push(format, piece).joined.empty());
  EXPECT_TRUE(assembler.push(format, piece).joined.empty());
  const auto frames = assembler.push(format, piece);
  ASSERT_EQ(frames.joined.size(), 32U);
  EXPECT_EQ(frames.joined[30], std::byte{1});
  EXPECT_EQ(assembler.carried_bytes(), 8U);
}

}  // namespace
}  // namespace periscope::audio
