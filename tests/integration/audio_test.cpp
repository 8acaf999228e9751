// `periscope audio-send` -> `periscope audio` as two processes: over loopback unicast and
// multicast and over an IVSHMEM file the recording is bit-exact; with a drifting sender the
// latency holds; garbage is dropped and counted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <random>

#include "audio/wav_file.hpp"
#include "common/unique_fd.hpp"
#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

using std::chrono::seconds;

// A port for this test process: loopback tests in parallel must not meet.
std::uint16_t test_port(int which) {
  return static_cast<std::uint16_t>(20000 + (::getpid() * 7 + which) % 20000);
}

// Random PCM (every bit matters for a bit-exact comparison) written as a WAV to send.
audio::WavData random_clip(const audio::StreamFormat& format, double seconds_long,
                           const std::string& path) {
  audio::WavData clip;
  clip.format = format;
  const auto frames = static_cast<std::size_t>(seconds_long * format.rate_hz);
  clip.pcm.resize(frames * format.bytes_per_frame());
  std::mt19937 rng(42);
  for (auto& b : clip.pcm) b = std::byte(static_cast<std::uint8_t>(rng()));
  auto writer = audio::WavWriter::create(path, format);
  EXPECT_TRUE(writer);
  if (writer) {
    EXPECT_TRUE(writer->write(clip.pcm));
    EXPECT_TRUE(writer->close());
  }
  return clip;
}

// The recording holds what was sent, in order, from its start (the sender pads its last
// datagram with silence, so the recording may be a little longer).
void expect_bit_exact(const audio::WavData& sent, const std::string& recording) {
  auto got = audio::read_wav(recording);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->format.rate_hz, sent.format.rate_hz);
  EXPECT_EQ(got->format.bits, sent.format.bits);
  EXPECT_EQ(got->format.channels, sent.format.channels);
  ASSERT_GE(got->pcm.size(), sent.pcm.size());
  EXPECT_TRUE(std::equal(sent.pcm.begin(), sent.pcm.end(), got->pcm.begin()))
      << "the recording differs from what was sent";
}

struct Transfer {
  std::vector<std::string> receiver;
  std::vector<std::string> sender;
};

nlohmann::json run_transfer(const Transfer& t, const std::string& stats) {
  std::vector<std::string> receiver = t.receiver;
  receiver.insert(receiver.end(), {"--stats-json", stats});
  auto rx = Subprocess::spawn(receiver);
  EXPECT_TRUE(rx);
  ::usleep(400000);  // bound and listening
  const auto tx = run(t.sender, seconds(20));
  EXPECT_EQ(tx.status, 0) << tx.output;
  if (!rx) return nullptr;
  const auto status = rx->wait_for(seconds(20));
  EXPECT_TRUE(status && *status == 0);
  return read_json(stats);
}

TEST(Audio, UnicastRecordingIsBitExact) {
  TempPath clip("clip-uni.wav", "/tmp");
  TempPath recording("rec-uni.wav", "/tmp");
  TempPath stats("audio-uni.json", "/tmp");
  const auto sent = random_clip({48000, 16, 2, 0x3}, 0.5, clip.str());
  const std::string port = std::to_string(test_port(1));
  const auto json = run_transfer(
      {{bin("periscope"), "audio", "--listen", "127.0.0.1:" + port, "--sink",
        "file:" + recording.str(), "--seconds", "2"},
       {bin("periscope"), "audio-send", "--wav", clip.str(), "--to", "127.0.0.1:" + port}},
      stats.str());
  expect_bit_exact(sent, recording.str());
  EXPECT_EQ(json["drops"], 0);
  EXPECT_EQ(json["packets"], (sent.pcm.size() + 1151) / 1152);
}

TEST(Audio, FramesCutAcrossDatagramsAreJoined) {
  // 24-bit 6-channel frames are 18 bytes: 1152 is not a multiple, so the driver's datagrams
  // cut frames in two, and the receiver must join them.
  TempPath clip("clip-51.wav", "/tmp");
  TempPath recording("rec-51.wav", "/tmp");
  TempPath stats("audio-51.json", "/tmp");
  const auto sent = random_clip({48000, 24, 6, 0x3F}, 0.3, clip.str());
  const std::string port = std::to_string(test_port(2));
  run_transfer({{bin("periscope"), "audio", "--listen", "127.0.0.1:" + port, "--sink",
                 "file:" + recording.str(), "--seconds", "2"},
                {bin("periscope"), "audio-send", "--wav", clip.str(), "--to", "127.0.0.1:" + port}},
               stats.str());
  expect_bit_exact(sent, recording.str());
}

TEST(Audio, MulticastOnLoopbackIsBitExact) {
  TempPath clip("clip-mc.wav", "/tmp");
  TempPath recording("rec-mc.wav", "/tmp");
  TempPath stats("audio-mc.json", "/tmp");
  const auto sent = random_clip({44100, 16, 2, 0x3}, 0.4, clip.str());
  const std::string port = std::to_string(test_port(3));
  run_transfer({{bin("periscope"), "audio", "--port", port, "--interface", "lo", "--sink",
                 "file:" + recording.str(), "--seconds", "2"},
                {bin("periscope"), "audio-send", "--wav", clip.str(), "--multicast", "--port", port,
                 "--multicast-from", "127.0.0.1"}},
               stats.str());
  expect_bit_exact(sent, recording.str());
}

TEST(Audio, IvshmemRecordingIsBitExact) {
  TempPath ring("scream-ivshmem");
  TempPath clip("clip-ivs.wav", "/tmp");
  TempPath recording("rec-ivs.wav", "/tmp");
  TempPath stats("audio-ivs.json", "/tmp");
  ring.resize(2 * 1024 * 1024);
  const auto sent = random_clip({48000, 32, 2, 0x3}, 0.5, clip.str());
  const auto json =
      run_transfer({{bin("periscope"), "audio", "--ivshmem", ring.str(), "--sink",
                     "file:" + recording.str(), "--seconds", "2"},
                    {bin("periscope"), "audio-send", "--wav", clip.str(), "--ivshmem", ring.str()}},
                   stats.str());
  // The ring carries 20 ms chunks: the recording is whole chunks, the clip's end included.
  auto got = audio::read_wav(recording.str());
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_GE(got->pcm.size(), sent.pcm.size() - sent.pcm.size() % (8 * 960));
  EXPECT_TRUE(std::equal(got->pcm.begin(), got->pcm.end(), sent.pcm.begin()))
      << "the recording differs from what was sent";
  EXPECT_GE(json["packets"], 24);
}

TEST(Audio, LatencyHoldsWithADriftingSender) {
  // Real time, both ways of drift: the sender's clock 0.5 % fast, then 0.5 % slow; the null
  // sink plays on the machine's clock. (The hour-long version runs in simulated time in
  // tests/unit/audio_drift_test.cpp.)
  for (const char* skew : {"5000", "-5000"}) {
    TempPath stats(std::string("audio-drift") + skew + ".json", "/tmp");
    const std::string port = std::to_string(test_port(skew[0] == '-' ? 4 : 5));
    const auto json = run_transfer({{bin("periscope"), "audio", "--listen", "127.0.0.1:" + port,
                                     "--sink", "null", "--latency", "20", "--seconds", "5"},
                                    {bin("periscope"), "audio-send", "--tone", "440", "--seconds",
                                     "4", "--to", "127.0.0.1:" + port, "--clock-skew-ppm", skew}},
                                   stats.str());
    ASSERT_FALSE(json.is_null());
    EXPECT_EQ(json["underruns"], 0) << json.dump(2);
    EXPECT_NEAR(json["latency_ms"]["p50"].get<double>(), 20.0, 5.0) << json.dump(2);
    EXPECT_LT(json["latency_ms"]["p99"].get<double>(), 35.0) << json.dump(2);
    const double correction = json["resampling_correction"].get<double>();
    EXPECT_GT(correction * (skew[0] == '-' ? -1 : 1), 0.002) << "the ratio follows the drift";
  }
}

TEST(Audio, GarbageIsDroppedAndCounted) {
  TempPath stats("audio-garbage.json", "/tmp");
  const std::string port = std::to_string(test_port(6));
  auto rx = Subprocess::spawn({bin("periscope"), "audio", "--listen", "127.0.0.1:" + port, "--sink",
                               "null", "--seconds", "1.5", "--stats-json", stats.str()});
  ASSERT_TRUE(rx);
  ::usleep(400000);
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(test_port(6));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  const auto send = [&](std::vector<std::uint8_t> bytes) {
    ::sendto(s.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
             sizeof to);
  };
  send({1, 2, 3});                              // too short
  send(std::vector<std::uint8_t>(3000, 0x01));  // too long
  std::vector<std::uint8_t> bad_rate(1157, 0);
  bad_rate[0] = 0x80;  // multiplier 0
  bad_rate[1] = 16;
  bad_rate[2] = 2;
  send(bad_rate);
  std::vector<std::uint8_t> bad_bits = bad_rate;
  bad_bits[0] = 0x01;
  bad_bits[1] = 20;
  send(bad_bits);
  std::vector<std::uint8_t> bad_channels = bad_bits;
  bad_channels[1] = 16;
  bad_channels[2] = 9;
  send(bad_channels);
  std::vector<std::uint8_t> partial(5 + 7, 0);  // 7 bytes of 4-byte frames
  partial[0] = 0x01;
  partial[1] = 16;
  partial[2] = 2;
  send(partial);
  const auto status = rx->wait_for(seconds(10));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << "garbage never stops the receiver";
  const auto json = read_json(stats.str());
  EXPECT_EQ(json["drops"], 6) << json.dump(2);
  EXPECT_EQ(json["packets"], 0);
  EXPECT_EQ(json["drops_by_reason"].size(), 6U) << json.dump(2);
}

}  // namespace
}  // namespace periscope::testing
