// The sound-server sinks against real daemons: each test starts its own PipeWire or PulseAudio
// daemon with a null sink in a temp directory, plays a 1 kHz tone at -6 dBFS through the sink
// for about a second while recording the null sink's monitor, and checks the recording: the
// tone is there, at 1 kHz, at the level we played.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numbers>
#include <span>
#include <string>
#include <thread>

#include "audio/pipewire_sink.hpp"
#include "audio/pulse_sink.hpp"
#include "common/subprocess.hpp"
#include "sound_servers.hpp"
#include "tone_analysis.hpp"

namespace periscope::audio {
namespace {

using testing::find_program;
using testing::PipeWireServer;
using testing::PulseServer;
using testing::Recording;

constexpr double kToneHz = 1000.0;
const double kAmplitude = std::pow(10.0, -6.0 / 20.0);                            // -6 dBFS peak
const double kToneRmsDbfs = 20.0 * std::log10(kAmplitude / std::numbers::sqrt2);  // -9.03
constexpr auto kPlayTime = Milliseconds(1000);

// The render callback: a sine in every channel, continuous across calls. Remembers the last
// `now` it was given so the test can check the sink's clock.
class ToneSource {
 public:
  explicit ToneSource(SinkFormat format) : format_(format) {}

  void render(std::span<float> out, Nanoseconds now) {
    const double step = 2.0 * std::numbers::pi * kToneHz / format_.rate_hz;
    for (std::size_t i = 0; i + format_.channels <= out.size(); i += format_.channels) {
      const auto v = static_cast<float>(kAmplitude * std::sin(phase_));
      for (std::uint32_t c = 0; c < format_.channels; ++c) out[i + c] = v;
      phase_ = std::fmod(phase_ + step, 2.0 * std::numbers::pi);
    }
    calls_.fetch_add(1);
    last_now_.store(now.count());
  }
  RenderCallback callback() {
    return [this](std::span<float> out, Nanoseconds now) { render(out, now); };
  }
  [[nodiscard]] std::uint64_t calls() const { return calls_.load(); }
  [[nodiscard]] Nanoseconds last_now() const { return Nanoseconds(last_now_.load()); }

 private:
  SinkFormat format_;
  double phase_{0.0};
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::int64_t> last_now_{0};
};

// The tone must last most of the play time, and a half-second window of it (after the start
// settles) must be 1 kHz (40 dB above 50 and 100 Hz either side) at -9 dBFS RMS +-1 dB.
void expect_tone(const Recording& rec) {
  ASSERT_GT(rec.rate_hz, 0U);
  ASSERT_EQ(rec.channels, 2U);
  const auto span = testing::signal_span(rec);
  ASSERT_TRUE(span.has_value()) << "the recording is silent (" << rec.frames() << " frames)";
  const auto rate = static_cast<double>(rec.rate_hz);
  EXPECT_GE(static_cast<double>(span->frames()), 0.7 * rate)
      << "the tone lasted " << static_cast<double>(span->frames()) / rate << " s";
  const auto first = span->first + rec.rate_hz / 10;
  const std::size_t window = rec.rate_hz / 2;
  ASSERT_LE(first + window, rec.frames()) << "recording too short";
  for (std::uint32_t channel = 0; channel < rec.channels; ++channel) {
    SCOPED_TRACE(::testing::Message() << "channel " << channel);
    const auto x = testing::channel_window(rec, channel, first, window);
    const double tone = testing::tone_power(x, kToneHz, rate);
    for (const double neighbour : {900.0, 950.0, 1050.0, 1100.0}) {
      EXPECT_GT(testing::db(tone / testing::tone_power(x, neighbour, rate)), 40.0)
          << "1 kHz vs " << neighbour << " Hz";
    }
    EXPECT_NEAR(testing::rms_dbfs(x), kToneRmsDbfs, 1.0);
  }
}

// The clock the sink hands to render is our monotonic clock (the jitter buffer compares it
// with packet arrival times): the last call's `now` is shortly before the sink stopped.
void expect_recent(Nanoseconds now, TimePoint stopped) {
  const Nanoseconds clock = stopped.time_since_epoch();
  EXPECT_GT(now.count(), 0);
  EXPECT_LE(now, clock);
  EXPECT_LT(clock - now, Milliseconds(200));
}

// Plays the tone through a PipeWireSink on a graph running at `graph_rate` and records the
// null sink's monitor at that rate. `sink_rate` 0 makes the sink ask for the graph's rate; any
// other makes PipeWire resample the stream to the graph, which shows in device_latency().
void play_through_pipewire(std::uint32_t graph_rate, std::uint32_t sink_rate = 0) {
  auto server = PipeWireServer::start(graph_rate);
  ASSERT_TRUE(server) << server.error().message;
  const auto& dir = (*server)->dir();

  PipeWireSinkOptions options;
  options.app_name = "periscope-test-audio";
  options.target = PipeWireServer::kSinkName;
  options.extra_properties = PipeWireServer::kDspPorts;
  options.latency_frames = 1024;  // the test's machine may be busy: leave room
  options.rate_hz = sink_rate;
  auto sink = PipeWireSink::open(options);
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_EQ((*sink)->format().rate_hz, sink_rate != 0 ? sink_rate : graph_rate)
      << "the sink must play at the graph's rate unless told otherwise";
  ASSERT_EQ((*sink)->format().channels, 2U);

  const std::string recording = dir.file("out.wav");
  auto recorder = Subprocess::spawn(
      {find_program("pw-record"), "-P",
       "{ node.name = periscope-test-recorder adapter.auto-port-config = { mode = dsp "
       "monitor = false position = preserve } }",
       "--rate", std::to_string(graph_rate), "--channels", "2", "--format", "f32", recording},
      dir.file("pw-record.log"), dir.file("pw-record.log"));
  ASSERT_TRUE(recorder) << recorder.error().message;

  // No session manager runs: link what one would (monitor -> recorder, sink -> null sink).
  const std::string null_sink = PipeWireServer::kSinkName;
  ASSERT_TRUE((*server)->link(null_sink + ":monitor_FL", "periscope-test-recorder:input_FL"));
  ASSERT_TRUE((*server)->link(null_sink + ":monitor_FR", "periscope-test-recorder:input_FR"));

  ToneSource tone((*sink)->format());
  ASSERT_TRUE((*sink)->start(tone.callback()));
  ASSERT_TRUE((*server)->link("periscope-test-audio:output_FL", null_sink + ":playback_FL"));
  ASSERT_TRUE((*server)->link("periscope-test-audio:output_FR", null_sink + ":playback_FR"));
  std::this_thread::sleep_for(kPlayTime);
  const Nanoseconds device_latency = (*sink)->device_latency();
  (*sink)->stop();
  const TimePoint stopped = Clock::now();
  const auto calls_at_stop = tone.calls();
  std::this_thread::sleep_for(Milliseconds(100));
  EXPECT_EQ(tone.calls(), calls_at_stop) << "render was called after stop()";
  recorder->terminate(Milliseconds(2000));

  EXPECT_GT(tone.calls(), 0U);
  expect_recent(tone.last_now(), stopped);
  // The null sink reports no delay of its own, so only the stream's resampler holds audio.
  if (sink_rate != 0 && sink_rate != graph_rate) {
    EXPECT_GT(device_latency, Nanoseconds(0)) << "the resampler's delay is missing";
  } else {
    EXPECT_GE(device_latency, Nanoseconds(0));
  }
  EXPECT_LT(device_latency, Milliseconds(500));

  const auto rec = testing::read_wav_f32(recording);
  const auto recorder_log = testing::read_bytes(dir.file("pw-record.log"));
  ASSERT_TRUE(rec) << "no WAV from pw-record: "
                   << std::string(recorder_log.begin(), recorder_log.end());
  EXPECT_EQ(rec->rate_hz, graph_rate);
  expect_tone(*rec);
  EXPECT_TRUE((*server)->running()) << "the daemon died";
}

bool have_pipewire_tools() {
  return !find_program("pipewire").empty() && !find_program("pw-record").empty() &&
         !find_program("pw-link").empty();
}

TEST(PipeWireSinkTest, PlaysAToneAtTheRightFrequencyAndLevel) {
  if (!have_pipewire_tools()) GTEST_SKIP() << "pipewire, pw-record or pw-link not installed";
  play_through_pipewire(48000);
}

// A graph at 44.1 kHz: the sink must report 44100 (the jitter buffer then resamples to it) and
// play correctly at that rate.
TEST(PipeWireSinkTest, PlaysAtTheGraphsRate) {
  if (!have_pipewire_tools()) GTEST_SKIP() << "pipewire, pw-record or pw-link not installed";
  play_through_pipewire(44100);
}

// Told a rate the graph does not run: PipeWire resamples, the tone still arrives at 1 kHz, and
// the resampler's delay counts in device_latency().
TEST(PipeWireSinkTest, PlaysAtAGivenRateThroughPipeWiresResampler) {
  if (!have_pipewire_tools()) GTEST_SKIP() << "pipewire, pw-record or pw-link not installed";
  play_through_pipewire(44100, 48000);
}

TEST(PipeWireSinkTest, SaysWhatToTryWhenNoDaemonRuns) {
  testing::TempDir empty;
  ASSERT_TRUE(empty.valid());
  testing::EnvOverride runtime("XDG_RUNTIME_DIR", empty.str());
  testing::EnvOverride pw_runtime("PIPEWIRE_RUNTIME_DIR", empty.str());
  testing::EnvOverride remote("PIPEWIRE_REMOTE", std::nullopt);
  const auto started = Clock::now();
  auto sink = PipeWireSink::open({});
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message.find("is PipeWire running?"), std::string::npos)
      << sink.error().message;
  EXPECT_NE(sink.error().message.find("--sink pulse"), std::string::npos);
  EXPECT_LT(Clock::now() - started, Milliseconds(4000));
}

TEST(PulseSinkTest, PlaysAToneAtTheRightFrequencyAndLevel) {
  if (find_program("pulseaudio").empty() || find_program("parec").empty()) {
    GTEST_SKIP() << "pulseaudio or parec (pulseaudio-utils) not installed";
  }
  auto server = PulseServer::start();
  ASSERT_TRUE(server) << server.error().message;
  const auto& dir = (*server)->dir();

  // Record first: PulseAudio's null sink starts with a long (2 s) render period and only
  // adopts the recorder's 20 ms once that period ends, so data flowing out of the monitor says
  // the sink now consumes in real time.
  const std::string recording = dir.file("out.f32");
  auto recorder =
      Subprocess::spawn({find_program("parec"), "--server=" + (*server)->address(),
                         std::string("--device=") + PulseServer::kSinkName + ".monitor",
                         "--format=float32le", "--rate=48000", "--channels=2", "--latency-msec=20"},
                        recording, dir.file("parec.log"));
  ASSERT_TRUE(recorder) << recorder.error().message;
  ASSERT_TRUE(testing::wait_for(Milliseconds(5000), [&] {
    std::error_code ec;
    const auto size = std::filesystem::file_size(recording, ec);
    return !ec && size > 0;
  })) << "parec recorded nothing";

  PulseSinkOptions options;
  options.app_name = "periscope-test-audio";
  options.server = (*server)->address();
  options.device = PulseServer::kSinkName;
  auto sink = PulseSink::open(options);
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_EQ((*sink)->format().rate_hz, 48000U);
  ASSERT_EQ((*sink)->format().channels, 2U);

  ToneSource tone((*sink)->format());
  ASSERT_TRUE((*sink)->start(tone.callback()));
  std::this_thread::sleep_for(kPlayTime);
  const Nanoseconds device_latency = (*sink)->device_latency();
  (*sink)->stop();
  const TimePoint stopped = Clock::now();
  const auto calls_at_stop = tone.calls();
  std::this_thread::sleep_for(Milliseconds(200));
  EXPECT_EQ(tone.calls(), calls_at_stop) << "render was called after stop()";
  recorder->terminate(Milliseconds(2000));

  expect_recent(tone.last_now(), stopped);
  EXPECT_GT(device_latency, Nanoseconds(0)) << "the server always holds some audio";
  EXPECT_LT(device_latency, Milliseconds(500));
  expect_tone(testing::read_raw_f32(recording, 48000, 2));
}

TEST(PulseSinkTest, SaysWhatToTryWhenNoServerRuns) {
  testing::TempDir empty;
  ASSERT_TRUE(empty.valid());
  PulseSinkOptions options;
  // An explicit address: libpulse never autospawns a daemon for one.
  options.server = "unix:" + empty.file("native");
  auto sink = PulseSink::open(options);
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message.find("is PulseAudio running?"), std::string::npos)
      << sink.error().message;
}

}  // namespace
}  // namespace periscope::audio
