#include "bench/audio_bench.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cmath>
#include <numbers>
#include <thread>
#include <vector>

#include "audio/audio_pipeline.hpp"
#include "audio/null_sink.hpp"
#include "audio/pcm.hpp"
#include "audio/udp_source.hpp"
#include "common/clock.hpp"
#include "common/unique_fd.hpp"
#include "viewer/stats_report.hpp"

namespace periscope::bench {

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One second of a 1 kHz sine at half scale in `format`, as the driver's datagrams.
std::vector<std::vector<std::byte>> one_second_of_datagrams(const audio::StreamFormat& format) {
  const std::size_t frames = format.rate_hz;
  std::vector<float> samples(frames * format.channels);
  for (std::size_t f = 0; f < frames; ++f) {
    const auto v = static_cast<float>(
        0.5 * std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(f) / format.rate_hz));
    for (std::size_t c = 0; c < format.channels; ++c) samples[f * format.channels + c] = v;
  }
  std::vector<std::byte> pcm(frames * format.bytes_per_frame());
  audio::encode_pcm(format.bits, samples, pcm);
  std::vector<std::vector<std::byte>> datagrams;
  audio::encode_udp_packets(format, pcm, [&](std::span<const std::byte> d) {
    datagrams.emplace_back(d.begin(), d.end());
  });
  return datagrams;
}

// CPU seconds the receive path spends per second of `format` audio, in virtual time.
nlohmann::json cpu_per_second(const audio::StreamFormat& format, double audio_seconds) {
  const auto datagrams = one_second_of_datagrams(format);
  audio::JitterBufferOptions options;  // 48 kHz stereo out, as a desktop plays it
  audio::AudioPipeline pipeline(options);
  std::vector<float> block(256 * 2);
  const double datagram_s = 1.0 / static_cast<double>(datagrams.size());
  const double block_s = 256.0 / 48000.0;
  double t_send = 0;
  double t_play = 0;
  const double cpu0 = thread_cpu_seconds();
  const TimePoint wall0 = Clock::now();
  const auto seconds = static_cast<std::size_t>(audio_seconds);
  for (std::size_t s = 0; s < seconds; ++s) {
    for (const auto& d : datagrams) {
      pipeline.on_datagram(d, TimePoint(from_seconds(t_send)));
      t_send += datagram_s;
      while (t_play + block_s <= t_send) {
        pipeline.render(block, from_seconds(t_play));
        t_play += block_s;
      }
    }
  }
  const double cpu = thread_cpu_seconds() - cpu0;
  const auto stats = pipeline.stats();
  return {{"rate_hz", format.rate_hz},
          {"bits", format.bits},
          {"channels", format.channels},
          {"audio_seconds", static_cast<double>(seconds)},
          {"cpu_seconds", cpu},
          {"wall_seconds", to_ms(Clock::now() - wall0) / 1000.0},
          {"cpu_percent_of_one_core", cpu / static_cast<double>(seconds) * 100.0},
          {"underruns", stats.playout.underruns},
          {"packets", stats.packets}};
}

}  // namespace

Result<nlohmann::json> run_audio_bench(const AudioBenchOptions& options) {
  nlohmann::json j;
  j["cpu"] = {cpu_per_second({48000, 16, 2, 0x3}, options.cpu_audio_seconds),
              cpu_per_second({192000, 32, 8, 0x63F}, options.cpu_audio_seconds)};

  // Real time over loopback.
  auto source = audio::UdpSource::open({"127.0.0.1", 0, false, {}});
  if (!source) return tl::unexpected(source.error());
  audio::JitterBufferOptions playout;
  playout.target_latency = from_seconds(options.target_latency_ms / 1000.0);
  audio::AudioPipeline pipeline(playout);
  audio::NullSink sink;
  std::atomic<bool> done{false};
  std::thread receiver([&] {
    while (!done.load()) {
      (void)source->poll(Milliseconds(20), [&](std::span<const std::byte> d, TimePoint at) {
        pipeline.on_datagram(d, at);
      });
    }
  });
  (void)sink.start([&](std::span<float> out, Nanoseconds now) { pipeline.render(out, now); });
  UniqueFd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(source->bound_port());
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  const audio::StreamFormat format{48000, 16, 2, 0x3};
  const auto second = one_second_of_datagrams(format);
  const Nanoseconds period(1'000'000'000LL / static_cast<std::int64_t>(second.size()));
  const TimePoint start = Clock::now();
  TimePoint due = start;
  const auto total =
      static_cast<std::size_t>(options.latency_seconds * static_cast<double>(second.size()));
  for (std::size_t i = 0; i < total && !(options.stop && options.stop->load()); ++i) {
    const auto& d = second[i % second.size()];
    ::sendto(socket.get(), d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to),
             sizeof to);
    due += period;
    const TimePoint now = Clock::now();
    if (due > now) precise_sleep(due - now);
  }
  precise_sleep(Milliseconds(50));
  sink.stop();
  done = true;
  receiver.join();
  const auto stats = pipeline.stats();
  j["latency"] = {{"target_ms", options.target_latency_ms},
                  {"seconds", options.latency_seconds},
                  {"receive_to_output_ms", viewer::latency_to_json(stats.latency_samples)},
                  {"underruns", stats.playout.underruns},
                  {"drops", stats.drops},
                  {"packets", stats.packets}};
  return j;
}

}  // namespace periscope::bench
