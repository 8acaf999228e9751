// `periscope audio-send --capture` end to end through real sound servers: a private daemon with
// two null sinks A and B; a 1 kHz tone plays into A; `audio-send` captures A's monitor and sends
// Scream datagrams over loopback to `periscope audio`, which plays into B; B's monitor is
// recorded. The tone must come out of B at 1 kHz and at the level it went into A: the capture
// stream's format, the sender's packets and the receiver's playout all sit on that path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/pcm.hpp"
#include "audio/wav_file.hpp"
#include "common/subprocess.hpp"
#include "process_helpers.hpp"
#include "sound_servers.hpp"
#include "tone_analysis.hpp"

namespace periscope::testing {
namespace {

constexpr double kToneHz = 1000.0;
constexpr double kToneSeconds = 2.0;
const double kAmplitude = std::pow(10.0, -6.0 / 20.0);                            // -6 dBFS peak
const double kToneRmsDbfs = 20.0 * std::log10(kAmplitude / std::numbers::sqrt2);  // -9.03

std::uint16_t test_port() {
  return static_cast<std::uint16_t>(40000 + (::getpid() * 7) % 20000);
}

// A 16-bit stereo WAV of the tone for the server's own player (pw-play, paplay).
void write_tone(const std::string& path) {
  const audio::StreamFormat format{48000, 16, 2, 0x3};
  const auto frames = static_cast<std::size_t>(kToneSeconds * format.rate_hz);
  std::vector<float> samples(frames * 2);
  for (std::size_t f = 0; f < frames; ++f) {
    const auto v = static_cast<float>(
        kAmplitude * std::sin(2.0 * std::numbers::pi * kToneHz * static_cast<double>(f) / 48000));
    samples[2 * f] = v;
    samples[2 * f + 1] = v;
  }
  std::vector<std::byte> pcm(samples.size() * 2);
  audio::encode_pcm(16, samples, pcm);
  auto writer = audio::WavWriter::create(path, format);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE(writer->write(pcm));
  ASSERT_TRUE(writer->close());
}

std::string log_of(const std::string& path) {
  return "--- " + path + ":\n" + read_file(path);
}

// What came out of B. The tone lasts most of what was played (the receiver's start-up and
// the links being made cost a little of its head). A second from its middle, in quarters:
// - each quarter's peak is within 1 % of 1 kHz. Not exactly 1 kHz: the receiver's drift
//   controller steers its resampler by up to +-1 % while its buffer settles after start-up or
//   after a stall of the loaded machine (a backlog to play off). With the PipeWire sender's
//   21 ms bursts it did so at every start (up to 10 Hz low for a second or two) until the
//   jitter buffer placed its start on the burst pattern; now 998-999.5 Hz is usual there, but
//   a stall still moves it up to 1 % now and then. A wrong rate anywhere on the path (44.1 vs
//   48 kHz: 919 Hz; a channel count or sample size misread: far off or noise) is not;
// - the peak stands 40 dB above 900, 950, 1050 and 1100 Hz: crackle from underruns, dropped
//   or repeated chunks, or garbled samples spread energy there;
// - the RMS of the second is the played -9.03 dBFS +-0.5 dB: the path is digital at unity
//   gain (16-bit capture adds noise at -98 dB, the resampler's passband ripple is far below
//   0.1 dB), so a lost channel, a volume applied twice or a 24-bit sample read as 16 would all
//   be many dB off.
void expect_tone(const Recording& rec) {
  ASSERT_EQ(rec.channels, 2U);
  ASSERT_EQ(rec.rate_hz, 48000U);
  const auto span = signal_span(rec);
  ASSERT_TRUE(span.has_value()) << "B's monitor is silent (" << rec.frames() << " frames)";
  const double rate = rec.rate_hz;
  EXPECT_GE(static_cast<double>(span->frames()), 0.8 * kToneSeconds * rate)
      << "the tone lasted " << static_cast<double>(span->frames()) / rate << " s";
  EXPECT_LE(static_cast<double>(span->frames()), 1.1 * kToneSeconds * rate)
      << "the tone lasted " << static_cast<double>(span->frames()) / rate << " s";
  const std::size_t first = span->first + rec.rate_hz / 4;
  const std::size_t quarter = rec.rate_hz / 4;
  ASSERT_LE(first + 4 * quarter, span->end) << "the tone is too short to measure";
  for (std::uint32_t channel = 0; channel < rec.channels; ++channel) {
    std::printf("channel %u: peak in each quarter second", channel);
    for (std::size_t q = 0; q < 4; ++q) {
      SCOPED_TRACE(::testing::Message() << "channel " << channel << ", quarter " << q);
      const auto x = channel_window(rec, channel, first + q * quarter, quarter);
      const double peak_hz = peak_frequency(x, rate, 0.98 * kToneHz, 1.02 * kToneHz);
      std::printf(" %.1f", peak_hz);
      EXPECT_NEAR(peak_hz, kToneHz, 0.01 * kToneHz + 0.5);
      const double tone = tone_power(x, peak_hz, rate);
      for (const double neighbour : {900.0, 950.0, 1050.0, 1100.0}) {
        EXPECT_GT(db(tone / tone_power(x, neighbour, rate)), 40.0)
            << peak_hz << " Hz vs " << neighbour << " Hz";
      }
    }
    std::printf(" Hz\n");
    SCOPED_TRACE(::testing::Message() << "channel " << channel);
    EXPECT_NEAR(rms_dbfs(channel_window(rec, channel, first, 4 * quarter)), kToneRmsDbfs, 0.5);
  }
}

// Stops a child with SIGTERM (our programs then finish their statistics) and says how it ended.
int stop(Subprocess& child) {
  return child.terminate(Milliseconds(3000));
}

// ---- PipeWire ----

constexpr const char* kSinkA = "periscope-test-a";
constexpr const char* kSinkB = "periscope-test-b";

// PIPEWIRE_PROPS for a child's stream: its node name, and ports made when it connects (there
// is no session manager to configure them).
// What the receiver said about the run, printed beside the test's result.
void print_receiver_stats(const nlohmann::json& json) {
  std::printf("receiver: %s underruns, %s gaps, latency p50 %s ms\n",
              json["underruns"].dump().c_str(), json["gaps"].dump().c_str(),
              json.value("latency_ms", nlohmann::json::object())
                  .value("p50", nlohmann::json())
                  .dump()
                  .c_str());
}

// PIPEWIRE_LATENCY for our two programs: the test machine is shared with parallel builds, and
// at their 10 ms / 5 ms quanta non-realtime clients (pw-play included, without us) miss
// cycles there, which puts gaps in what A plays. A 21 ms quantum does not. The sender then
// sends a quantum at a time (bursts of 3 or 4 datagrams every 21 ms) and the receiver plays
// 21 ms blocks. Since the jitter buffer places its start on the burst pattern, a 60 ms target
// passed about 40 runs here (998-999.5 Hz, no underruns; before, it ran dry a few times in
// twenty). The suite keeps 150 ms: it also runs under ASan beside parallel builds, and a
// scheduling stall there is a click, not a fault of the path this test checks. The burst
// handling itself is pinned by the simulation in tests/unit/audio_burst_test.cpp.
constexpr const char* kLatency = "PIPEWIRE_LATENCY=1024/48000";
std::string pipewire_props(const std::string& node) {
  return "PIPEWIRE_PROPS={ node.name = " + node +
         " adapter.auto-port-config = { mode = dsp monitor = false position = preserve } }";
}

// The sender's stream as the daemon sees it: the properties a session manager would follow.
std::optional<nlohmann::json> node_props(const std::string& dump, const std::string& node) {
  const auto objects = nlohmann::json::parse(dump, nullptr, false);
  if (!objects.is_array()) return std::nullopt;
  for (const auto& object : objects) {
    if (!object.is_object() || object.value("type", "") != "PipeWire:Interface:Node") continue;
    const auto info = object.find("info");
    if (info == object.end() || !info->is_object()) continue;
    const auto props = info->find("props");
    if (props != info->end() && props->is_object() && props->value("node.name", "") == node) {
      return *props;
    }
  }
  return std::nullopt;
}

bool have_pipewire_tools() {
  for (const char* tool : {"pipewire", "pw-record", "pw-play", "pw-link", "pw-dump"}) {
    if (find_program(tool).empty()) return false;
  }
  return true;
}

TEST(AudioCaptureTest, PipeWireSinkMonitorReachesAnotherSinkThroughScream) {
  if (!have_pipewire_tools()) GTEST_SKIP() << "pipewire or its tools (pw-*) not installed";
  const TimePoint started = Clock::now();
  auto server = PipeWireServer::start(48000, {kSinkA, kSinkB});
  ASSERT_TRUE(server) << server.error().message;
  const auto& dir = (*server)->dir();
  const std::string env = find_program("env");
  const std::string a = kSinkA;
  const std::string b = kSinkB;
  const std::string to = "127.0.0.1:" + std::to_string(test_port());

  const std::string recording = dir.file("b.wav");
  auto recorder =
      Subprocess::spawn({env, pipewire_props("periscope-test-recorder"), find_program("pw-record"),
                         "--rate", "48000", "--channels", "2", "--format", "f32", recording},
                        dir.file("pw-record.log"), dir.file("pw-record.log"));
  ASSERT_TRUE(recorder) << recorder.error().message;
  ASSERT_TRUE((*server)->link(b + ":monitor_FL", "periscope-test-recorder:input_FL"));
  ASSERT_TRUE((*server)->link(b + ":monitor_FR", "periscope-test-recorder:input_FR"));

  const std::string stats = dir.file("receiver.json");
  auto receiver =
      Subprocess::spawn({env, kLatency, pipewire_props("periscope-test-receiver"), bin("periscope"),
                         "audio", "--listen", to, "--sink", "pipewire:" + b, "--latency", "150",
                         "--seconds", "15", "--stats-json", stats},
                        dir.file("receiver.log"), dir.file("receiver.log"));
  ASSERT_TRUE(receiver) << receiver.error().message;
  ASSERT_TRUE((*server)->link("periscope-test-receiver:output_FL", b + ":playback_FL"))
      << log_of(dir.file("receiver.log"));
  ASSERT_TRUE((*server)->link("periscope-test-receiver:output_FR", b + ":playback_FR"));

  auto sender = Subprocess::spawn(
      {env, kLatency, pipewire_props("periscope-audio-send"), bin("periscope"), "audio-send",
       "--capture", "pipewire:" + a + ".monitor", "--to", to, "--seconds", "15"},
      dir.file("sender.log"), dir.file("sender.log"));
  ASSERT_TRUE(sender) << sender.error().message;
  ASSERT_TRUE((*server)->link(a + ":monitor_FL", "periscope-audio-send:input_FL"))
      << log_of(dir.file("sender.log"));
  ASSERT_TRUE((*server)->link(a + ":monitor_FR", "periscope-audio-send:input_FR"));

  // `A.monitor` asks a session manager for A's monitor: target.object = A and
  // stream.capture.sink = true on the capture stream (none runs here: the links above are what
  // it would make).
  const auto dump = run({find_program("pw-dump")}, std::chrono::seconds(5));
  ASSERT_EQ(dump.status, 0) << dump.output;
  const auto props = node_props(dump.output, "periscope-audio-send");
  ASSERT_TRUE(props.has_value()) << dump.output;
  EXPECT_EQ(props->value("target.object", ""), a);
  // pw-dump prints the property's value as JSON: the string "true" becomes a bool.
  EXPECT_EQ(props->value("stream.capture.sink", nlohmann::json()), true);
  EXPECT_EQ(props->value("media.category", ""), "Capture");

  const std::string tone = dir.file("tone.wav");
  write_tone(tone);
  auto player = Subprocess::spawn(
      {env, pipewire_props("periscope-test-player"), find_program("pw-play"), tone},
      dir.file("pw-play.log"), dir.file("pw-play.log"));
  ASSERT_TRUE(player) << player.error().message;
  ASSERT_TRUE((*server)->link("periscope-test-player:output_FL", a + ":playback_FL"));
  ASSERT_TRUE((*server)->link("periscope-test-player:output_FR", a + ":playback_FR"));
  const auto played = player->wait_for(Milliseconds(static_cast<int>(kToneSeconds * 1000) + 4000));
  EXPECT_TRUE(played && *played == 0) << log_of(dir.file("pw-play.log"));
  std::this_thread::sleep_for(Milliseconds(300));  // the tail through the receiver's buffer

  EXPECT_EQ(stop(*sender), 0) << log_of(dir.file("sender.log"));
  EXPECT_EQ(stop(*receiver), 0) << log_of(dir.file("receiver.log"));
  stop(*recorder);
  EXPECT_TRUE((*server)->running()) << "the daemon died";
  EXPECT_NE(read_file(dir.file("sender.log")).find("captured"), std::string::npos)
      << log_of(dir.file("sender.log"));

  const auto json = read_json(stats);
  print_receiver_stats(json);
  EXPECT_GT(json["packets"].get<std::uint64_t>(), 0U) << json.dump(2);
  EXPECT_EQ(json["drops"], 0) << json.dump(2);
  EXPECT_EQ(json["format"]["rate_hz"], 48000);
  EXPECT_EQ(json["format"]["bits"], 16);
  EXPECT_EQ(json["format"]["channels"], 2);

  const auto rec = read_wav_f32(recording);
  ASSERT_TRUE(rec) << "no WAV from pw-record: " << log_of(dir.file("pw-record.log"));
  expect_tone(*rec);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(20));
}

// ---- PulseAudio ----

// Whether a `periscope audio --stats` line reports packets received.
bool received_packets(const std::string& log) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    unsigned long long packets = 0;
    if (std::sscanf(line.c_str(), "packets %llu", &packets) == 1 && packets > 0) return true;
  }
  return false;
}

constexpr const char* kPulseA = "periscope_test_a";
constexpr const char* kPulseB = "periscope_test_b";

TEST(AudioCaptureTest, PulseSinkMonitorReachesAnotherSinkThroughScream) {
  for (const char* tool : {"pulseaudio", "parec", "paplay"}) {
    if (find_program(tool).empty()) GTEST_SKIP() << tool << " not installed";
  }
  const TimePoint started = Clock::now();
  auto server = PulseServer::start({kPulseA, kPulseB});
  ASSERT_TRUE(server) << server.error().message;
  const auto& dir = (*server)->dir();
  // Our programs and the tools find the private server through PULSE_SERVER.
  EnvOverride pulse_server("PULSE_SERVER", (*server)->address());
  const std::string a = kPulseA;
  const std::string b = kPulseB;
  const std::string to = "127.0.0.1:" + std::to_string(test_port() + 1);

  // Record B first: a null sink renders in long periods until a recorder asks for short ones,
  // so data out of the monitor says B runs in real time (see audio_sink_test.cpp).
  const std::string recording = dir.file("b.f32");
  auto recorder =
      Subprocess::spawn({find_program("parec"), "--device=" + b + ".monitor", "--format=float32le",
                         "--rate=48000", "--channels=2", "--latency-msec=20"},
                        recording, dir.file("parec.log"));
  ASSERT_TRUE(recorder) << recorder.error().message;
  ASSERT_TRUE(wait_for(Milliseconds(5000), [&] {
    std::error_code ec;
    const auto size = std::filesystem::file_size(recording, ec);
    return !ec && size > 0;
  })) << "parec recorded nothing";

  const std::string stats = dir.file("receiver.json");
  const std::string receiver_log = dir.file("receiver.log");
  auto receiver =
      Subprocess::spawn({bin("periscope"), "audio", "--listen", to, "--sink", "pulse:" + b,
                         "--seconds", "15", "--stats", "--stats-json", stats},
                        receiver_log, receiver_log);
  ASSERT_TRUE(receiver) << receiver.error().message;
  auto sender = Subprocess::spawn({bin("periscope"), "audio-send", "--capture",
                                   "pulse:" + a + ".monitor", "--to", to, "--seconds", "15"},
                                  dir.file("sender.log"), dir.file("sender.log"));
  ASSERT_TRUE(sender) << sender.error().message;
  // Packets arriving say A's monitor runs in real time too (its first long period is over).
  ASSERT_TRUE(
      wait_for(Milliseconds(6000), [&] { return received_packets(read_file(receiver_log)); }))
      << log_of(receiver_log) << log_of(dir.file("sender.log"));

  const std::string tone = dir.file("tone.wav");
  write_tone(tone);
  const auto played = run({find_program("paplay"), "--device=" + a, tone},
                          Milliseconds(static_cast<int>(kToneSeconds * 1000) + 4000));
  EXPECT_EQ(played.status, 0) << played.output;
  std::this_thread::sleep_for(Milliseconds(300));

  EXPECT_EQ(stop(*sender), 0) << log_of(dir.file("sender.log"));
  EXPECT_EQ(stop(*receiver), 0) << log_of(receiver_log);
  stop(*recorder);
  const auto json = read_json(stats);
  print_receiver_stats(json);
  EXPECT_EQ(json["drops"], 0) << json.dump(2);
  expect_tone(read_raw_f32(recording, 48000, 2));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace periscope::testing
