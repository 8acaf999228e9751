// `periscope audio` (a Scream receiver that keeps its latency) and `periscope audio-send` (a
// Scream sender for Linux guests and tests).
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numbers>
#include <optional>
#include <thread>

#include "audio/audio_pipeline.hpp"
#include "audio/null_sink.hpp"
#include "audio/pcm.hpp"
#include "audio/pcm_capture.hpp"
#include "audio/pipewire_capture.hpp"
#include "audio/pipewire_sink.hpp"
#include "audio/pulse_capture.hpp"
#include "audio/pulse_sink.hpp"
#include "audio/scream_ivshmem.hpp"
#include "audio/udp_source.hpp"
#include "audio/wav_file.hpp"
#include "commands.hpp"
#include "common/file_bytes.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "viewer/stats_report.hpp"

namespace periscope::app {

namespace {

struct AudioOptions {
  bool multicast{true};
  std::string group{audio::kScreamMulticastGroup};
  std::uint16_t port{audio::kScreamPort};
  std::string interface;  // empty: virbr0 when it exists
  std::string listen;     // ADDR:PORT: unicast instead of multicast
  std::string ivshmem;    // PATH: the IVSHMEM ring instead of the network
  std::string sink{"auto"};
  double latency_ms{20};
  std::optional<double> seconds;
  std::string stats_json;
  bool stats{false};
};

// "auto" (PipeWire, else PulseAudio), "pipewire[:NODE]", "pulse[:SINK]" or "null".
Result<std::unique_ptr<audio::AudioSink>> make_sink(const std::string& spec) {
  if (spec == "null") return std::unique_ptr<audio::AudioSink>(new audio::NullSink());
  const auto target = [&](std::string_view kind) -> std::optional<std::string> {
    if (spec == kind) return std::string();
    if (spec.rfind(std::string(kind) + ":", 0) == 0) return spec.substr(kind.size() + 1);
    return std::nullopt;
  };
  const auto pipewire = [](const std::string& node) -> Result<std::unique_ptr<audio::AudioSink>> {
    audio::PipeWireSinkOptions options;
    options.target = node;
    auto sink = audio::PipeWireSink::open(options);
    if (!sink) return tl::unexpected(sink.error());
    return std::unique_ptr<audio::AudioSink>(std::move(*sink));
  };
  const auto pulse = [](const std::string& device) -> Result<std::unique_ptr<audio::AudioSink>> {
    audio::PulseSinkOptions options;
    options.device = device;
    auto sink = audio::PulseSink::open(options);
    if (!sink) return tl::unexpected(sink.error());
    return std::unique_ptr<audio::AudioSink>(std::move(*sink));
  };
  if (spec == "auto") {
    auto native = pipewire({});
    if (native) return native;
    spdlog::info("no PipeWire ({}); trying PulseAudio", native.error().message);
    auto fallback = pulse({});
    if (fallback) return fallback;
    return fail(ErrorCode::kNotFound,
                "no sound server: PipeWire ({}) and PulseAudio ({}); use --sink null or --sink "
                "file:PATH.wav",
                native.error().message, fallback.error().message);
  }
  if (auto node = target("pipewire")) return pipewire(*node);
  if (auto device = target("pulse")) return pulse(*device);
  return fail(ErrorCode::kInvalidArgument,
              "--sink {}: expected auto, pipewire[:NODE], pulse[:SINK], null or file:PATH.wav",
              spec);
}

nlohmann::json stats_json(const audio::AudioPipelineStats& s, double seconds) {
  nlohmann::json drops = nlohmann::json::object();
  for (std::size_t i = 0; i < s.drops_by_reason.size(); ++i) {
    if (s.drops_by_reason[i] > 0) {
      drops[std::string(audio::drop_reason_name(static_cast<audio::ScreamDrop>(i)))] =
          s.drops_by_reason[i];
    }
  }
  nlohmann::json j;
  j["duration_s"] = seconds;
  j["packets"] = s.packets;
  j["drops"] = s.drops;
  j["drops_by_reason"] = drops;
  j["underruns"] = s.playout.underruns;
  j["gaps"] = s.playout.gaps;
  j["format_changes"] = s.playout.format_changes;
  j["overflows"] = s.playout.overflows;
  j["frames_dropped"] = s.playout.frames_dropped;
  j["recorder_frames_skipped"] = s.recorder_frames_skipped;
  j["resampling_correction"] = s.correction;
  j["latency_ms"] = viewer::latency_to_json(s.latency_samples);
  if (s.format) {
    j["format"] = {{"rate_hz", s.format->rate_hz},
                   {"bits", s.format->bits},
                   {"channels", s.format->channels},
                   {"channel_mask", s.format->channel_mask}};
  } else {
    j["format"] = nullptr;
  }
  return j;
}

int run_audio(AudioOptions& o) {
  // Where the audio goes.
  std::optional<audio::WavWriter> recorder;
  std::unique_ptr<audio::AudioSink> sink;
  std::string record_path;
  if (o.sink.rfind("file:", 0) == 0) {
    record_path = o.sink.substr(5);
    if (record_path.empty()) {
      spdlog::error("--sink file:PATH.wav needs a path");
      return 2;
    }
  } else {
    auto made = make_sink(o.sink);
    if (!made) {
      spdlog::error("{}", made.error().message);
      return made.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    sink = std::move(*made);
  }
  audio::JitterBufferOptions playout;
  if (sink) {
    playout.output_rate_hz = sink->format().rate_hz;
    playout.output_channels = sink->format().channels;
  }
  playout.target_latency = from_seconds(o.latency_ms / 1000.0);
  playout.max_latency = std::max(playout.max_latency, playout.target_latency + Milliseconds(50));
  audio::AudioPipeline pipeline(playout);

  // Where it comes from.
  std::optional<audio::UdpSource> udp;
  std::optional<MappedRegion> region;
  std::optional<audio::ScreamIvshmemReader> reader;
  if (!o.ivshmem.empty()) {
    auto mapped = MappedRegion::open(o.ivshmem, {.writable = false, .create_size_bytes = 0});
    if (!mapped) {
      spdlog::error("{}", mapped.error().message);
      return 1;
    }
    region.emplace(std::move(*mapped));
    reader.emplace(SharedRegion(region->bytes()));
    spdlog::info("audio: reading the Scream IVSHMEM ring in {}", o.ivshmem);
  } else {
    audio::UdpSourceOptions source;
    if (!o.listen.empty()) {
      auto parsed = audio::parse_listen_address(o.listen);
      if (!parsed) {
        spdlog::error("{}", parsed.error().message);
        return 2;
      }
      source = *parsed;
    } else {
      source.multicast = true;
      source.address = o.group;
      source.port = o.port;
      source.interface = o.interface;
      // The VM bridge libvirt makes is where a Windows guest's multicast arrives.
      if (source.interface.empty() && ::if_nametoindex("virbr0") != 0) source.interface = "virbr0";
    }
    auto opened = audio::UdpSource::open(source);
    if (!opened) {
      spdlog::error("{}", opened.error().message);
      return 1;
    }
    udp.emplace(std::move(*opened));
    spdlog::info("audio: receiving Scream {} {}:{}{}", source.multicast ? "multicast" : "unicast",
                 source.address, udp->bound_port(),
                 source.interface.empty() ? "" : " on " + source.interface);
  }

  // IVSHMEM chunks go to the pipeline; with a file sink the first one decides the recording's
  // format (as the first datagram does below).
  struct ChunkTap final : audio::ScreamChunkSink {
    audio::AudioPipeline& pipeline;
    std::optional<audio::WavWriter>& recorder;
    const std::string& path;
    TimePoint now{};
    bool failed{false};
    ChunkTap(audio::AudioPipeline& p, std::optional<audio::WavWriter>& r, const std::string& f)
        : pipeline(p), recorder(r), path(f) {}
    void on_chunk(const audio::StreamFormat& format, std::span<const std::byte> pcm) override {
      if (!path.empty() && !recorder) {
        auto created = audio::WavWriter::create(path, format);
        if (!created) {
          spdlog::error("{}", created.error().message);
          failed = true;
          return;
        }
        recorder.emplace(std::move(*created));
        pipeline.record_to(&*recorder);
      }
      pipeline.on_chunk(format, pcm, now);
    }
  } tap(pipeline, recorder, record_path);

  if (sink) {
    auto started = sink->start(
        [&pipeline](std::span<float> out, Nanoseconds now) { pipeline.render(out, now); });
    if (!started) {
      spdlog::error("{}", started.error().message);
      return 1;
    }
  }

  const TimePoint start = Clock::now();
  const TimePoint deadline = o.seconds ? start + from_seconds(*o.seconds) : TimePoint::max();
  TimePoint next_report = start + std::chrono::seconds(1);
  int exit_code = 0;
  while (!g_stop.load() && Clock::now() < deadline) {
    if (udp) {
      auto polled = udp->poll(Milliseconds(50), [&](std::span<const std::byte> d, TimePoint at) {
        if (!record_path.empty() && !recorder) {
          if (auto packet = audio::parse_udp_packet(d)) {
            auto created = audio::WavWriter::create(record_path, packet->format);
            if (!created) {
              spdlog::error("{}", created.error().message);
              g_stop = true;
              return;
            }
            recorder.emplace(std::move(*created));
            pipeline.record_to(&*recorder);
          }
        }
        pipeline.on_datagram(d, at);
      });
      if (!polled) {
        spdlog::error("{}", polled.error().message);
        exit_code = 1;
        break;
      }
    } else {
      // The driver fills a 20 ms chunk at a time: polling every 2 ms adds at most that.
      tap.now = Clock::now();
      reader->poll(tap);
      if (tap.failed) {
        exit_code = 1;
        break;
      }
      precise_sleep(Milliseconds(2));
    }
    if (o.stats && Clock::now() >= next_report) {
      const auto s = pipeline.stats();
      std::printf("packets %llu  drops %llu  underruns %llu  buffer %.1f ms  ratio %+.4f%%\n",
                  static_cast<unsigned long long>(s.packets),
                  static_cast<unsigned long long>(s.drops),
                  static_cast<unsigned long long>(s.playout.underruns), to_ms(s.latency),
                  s.correction * 100.0);
      std::fflush(stdout);
      next_report += std::chrono::seconds(1);
    }
  }
  if (sink) sink->stop();
  if (recorder) {
    if (auto closed = recorder->close(); !closed) {
      spdlog::error("{}", closed.error().message);
      exit_code = 1;
    }
  }
  const auto s = pipeline.stats();
  const double seconds = to_ms(Clock::now() - start) / 1000.0;
  if (!o.stats_json.empty()) {
    if (auto written = write_text_atomic(o.stats_json, stats_json(s, seconds).dump(2) + "\n");
        !written) {
      spdlog::error("{}", written.error().message);
      exit_code = 1;
    }
  }
  std::printf("%llu packets, %llu dropped, %llu underruns; latency p50 %.1f p99 %.1f max %.1f ms\n",
              static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(s.drops),
              static_cast<unsigned long long>(s.playout.underruns),
              to_ms(s.latency_samples.percentile(0.5)), to_ms(s.latency_samples.percentile(0.99)),
              to_ms(s.latency_samples.max()));
  return exit_code;
}

// ---- the sender ----

struct SendOptions {
  std::string wav;
  double tone_hz{0};
  std::string capture;  // pipewire[:TARGET] or pulse[:SOURCE]
  std::uint32_t rate{48000};
  int bits{16};
  int channels{2};
  std::optional<double> seconds;  // tone: its length (1 s); capture: how long (until Ctrl-C)
  std::string to;                 // ADDR:PORT unicast
  bool multicast{false};
  std::string group{audio::kScreamMulticastGroup};
  std::uint16_t port{audio::kScreamPort};
  std::string multicast_from{"127.0.0.1"};  // the interface address multicast leaves by
  std::string ivshmem;
  double clock_skew_ppm{0};
};

Result<audio::StreamFormat> requested_format(const SendOptions& o) {
  const audio::StreamFormat format{
      o.rate, static_cast<std::uint8_t>(o.bits), static_cast<std::uint8_t>(o.channels),
      audio::default_channel_mask(static_cast<std::uint8_t>(o.channels))};
  if (o.channels < 1 || o.channels > 8 || !audio::is_valid_format(format)) {
    return fail(ErrorCode::kInvalidArgument, "{} Hz / {} bits / {} channels is not a Scream format",
                o.rate, o.bits, o.channels);
  }
  return format;
}

Result<audio::WavData> make_tone(const SendOptions& o) {
  auto format = requested_format(o);
  if (!format) return tl::unexpected(format.error());
  audio::WavData data;
  data.format = *format;
  const auto frames = static_cast<std::size_t>(o.seconds.value_or(1.0) * o.rate);
  std::vector<float> samples(frames * static_cast<std::size_t>(o.channels));
  for (std::size_t f = 0; f < frames; ++f) {
    const double v =
        0.5 * std::sin(2 * std::numbers::pi * o.tone_hz * static_cast<double>(f) / o.rate);
    for (int c = 0; c < o.channels; ++c) {
      samples[f * static_cast<std::size_t>(o.channels) + static_cast<std::size_t>(c)] =
          static_cast<float>(v);
    }
  }
  data.pcm.resize(frames * data.format.bytes_per_frame());
  audio::encode_pcm(data.format.bits, samples, data.pcm);
  return data;
}

// "pipewire[:TARGET]" or "pulse[:SOURCE]", opened in the format asked for.
Result<std::unique_ptr<audio::PcmCapture>> open_capture(const std::string& spec,
                                                        const audio::StreamFormat& format) {
  const auto target = [&](std::string_view kind) -> std::optional<std::string> {
    if (spec == kind) return std::string();
    if (spec.rfind(std::string(kind) + ":", 0) == 0) return spec.substr(kind.size() + 1);
    return std::nullopt;
  };
  if (auto node = target("pipewire")) {
    audio::PipeWireCaptureOptions options;
    options.target = *node;
    options.format = format;
    // 10 ms: every graph cycle's buffer leaves as one burst of datagrams, which the
    // receiver's default 20 ms target absorbs. Asking less forces the whole graph to a smaller
    // quantum (more wake-ups, xruns for every client on a loaded machine: 5 ms did on our
    // CI machine); PIPEWIRE_LATENCY=N/RATE in the environment overrides it.
    options.latency_frames = std::max<std::uint32_t>(format.rate_hz / 100, 32);
    auto opened = audio::PipeWireCapture::open(options);
    if (!opened) return tl::unexpected(opened.error());
    return std::unique_ptr<audio::PcmCapture>(std::move(*opened));
  }
  if (auto source = target("pulse")) {
    audio::PulseCaptureOptions options;
    options.source = *source;
    options.format = format;
    auto opened = audio::PulseCapture::open(options);
    if (!opened) return tl::unexpected(opened.error());
    return std::unique_ptr<audio::PcmCapture>(std::move(*opened));
  }
  return fail(ErrorCode::kInvalidArgument,
              "--capture {}: expected pipewire[:NODE] or pulse[:SOURCE]", spec);
}

// Where the packets go: UDP (unicast or multicast) or the IVSHMEM ring, in pieces of `step`
// bytes as the driver sends them (a datagram's payload, or a 20 ms chunk).
class ScreamOutput {
 public:
  // Exit code 2 for a bad argument, 1 for anything else, in `exit_code` when it fails.
  static std::optional<ScreamOutput> open(const SendOptions& o, const audio::StreamFormat& format,
                                          int& exit_code) {
    ScreamOutput out(format);
    if (!o.ivshmem.empty()) {
      auto mapped = MappedRegion::open(o.ivshmem, {.writable = true, .create_size_bytes = 2 << 20});
      if (!mapped) {
        spdlog::error("{}", mapped.error().message);
        exit_code = 1;
        return std::nullopt;
      }
      out.region_.emplace(std::move(*mapped));
      auto started = audio::ScreamIvshmemWriter::start(SharedRegion(out.region_->bytes()), format);
      if (!started) {
        spdlog::error("{}", started.error().message);
        exit_code = 1;
        return std::nullopt;
      }
      out.writer_.emplace(std::move(*started));
      return out;
    }
    std::string address = o.group;
    std::uint16_t port = o.port;
    if (!o.to.empty()) {
      auto parsed = audio::parse_listen_address(o.to);
      if (!parsed) {
        spdlog::error("{}", parsed.error().message);
        exit_code = 2;
        return std::nullopt;
      }
      address = parsed->address;
      port = parsed->port;
    } else if (!o.multicast) {
      spdlog::error("say where to send: --to ADDR:PORT, --multicast or --ivshmem PATH");
      exit_code = 2;
      return std::nullopt;
    }
    out.socket_ = UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    out.to_.sin_family = AF_INET;
    out.to_.sin_port = htons(port);
    ::inet_pton(AF_INET, address.c_str(), &out.to_.sin_addr);
    if (o.to.empty()) {
      in_addr from{};
      ::inet_pton(AF_INET, o.multicast_from.c_str(), &from);
      ::setsockopt(out.socket_.get(), IPPROTO_IP, IP_MULTICAST_IF, &from, sizeof from);
      const unsigned char loop = 1;
      ::setsockopt(out.socket_.get(), IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
    }
    return out;
  }

  [[nodiscard]] std::size_t step() const {
    return writer_ ? format_.bytes_per_frame() * (format_.rate_hz / 50)  // 20 ms
                   : audio::kScreamPayloadBytes;
  }
  [[nodiscard]] bool to_ring() const { return writer_.has_value(); }
  [[nodiscard]] std::uint64_t datagrams() const { return datagrams_; }

  // One piece of at most step() bytes.
  void send(std::span<const std::byte> piece) {
    if (writer_) {
      writer_->write(piece);
      return;
    }
    // The driver sends only full payloads; a short piece (the tail of a clip) is padded with
    // silence.
    std::array<std::byte, audio::kScreamPayloadBytes> padded{};
    std::copy(piece.begin(), piece.end(), padded.begin());
    audio::encode_udp_packets(format_, padded, [&](std::span<const std::byte> datagram) {
      ::sendto(socket_.get(), datagram.data(), datagram.size(), 0,
               reinterpret_cast<const sockaddr*>(&to_), sizeof to_);
      ++datagrams_;
    });
  }

  void finish() {
    if (!writer_) return;
    precise_sleep(Milliseconds(100));  // let a reader take the last chunks before the stop
    writer_->stop();
  }

 private:
  explicit ScreamOutput(const audio::StreamFormat& format) : format_(format) {}

  audio::StreamFormat format_;
  std::optional<MappedRegion> region_;
  std::optional<audio::ScreamIvshmemWriter> writer_;
  UniqueFd socket_;
  sockaddr_in to_{};
  std::uint64_t datagrams_{0};
};

void log_sent(std::size_t frames, const audio::StreamFormat& format, const ScreamOutput& out,
              std::string_view what) {
  spdlog::info(
      "audio-send: {} frames of {} Hz / {} bits / {} ch{}{}", frames, format.rate_hz, format.bits,
      format.channels, what,
      out.to_ring() ? " into the IVSHMEM ring" : fmt::format(" in {} datagrams", out.datagrams()));
}

// Live audio: the server's clock paces the capture, so each chunk goes out as soon as it has
// filled a datagram (or a ring chunk); nothing here sleeps on our own clock.
int run_capture_send(const SendOptions& o, const audio::StreamFormat& format) {
  auto capture = open_capture(o.capture, format);
  if (!capture) {
    spdlog::error("{}", capture.error().message);
    return capture.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  int exit_code = 0;
  auto out = ScreamOutput::open(o, format, exit_code);
  if (!out) return exit_code;
  const std::size_t step = out->step();
  // A read takes up to 100 ms of audio; what does not fill a whole step waits for the next.
  std::vector<std::byte> chunk(format.bytes_per_frame() *
                               std::max<std::uint32_t>(format.rate_hz / 10, 1));
  std::vector<std::byte> pending;
  pending.reserve(chunk.size() + step);
  std::uint64_t frames = 0;
  const TimePoint deadline = o.seconds ? Clock::now() + from_seconds(*o.seconds) : TimePoint::max();
  spdlog::info("audio-send: capturing from {} at {} Hz / {} bits / {} ch", o.capture,
               format.rate_hz, format.bits, format.channels);
  while (!g_stop.load() && Clock::now() < deadline) {
    auto n = (*capture)->read(chunk, Milliseconds(100));
    if (!n) {
      spdlog::error("{}", n.error().message);
      exit_code = 1;
      break;
    }
    frames += *n / format.bytes_per_frame();
    pending.insert(pending.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*n));
    std::size_t at = 0;
    for (; pending.size() - at >= step; at += step) {
      out->send(std::span<const std::byte>(pending).subspan(at, step));
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(at));
  }
  if (!pending.empty()) out->send(pending);
  out->finish();
  log_sent(frames, format, *out,
           (*capture)->frames_lost() > 0
               ? fmt::format(" captured ({} lost: we fell behind)", (*capture)->frames_lost())
               : std::string(" captured"));
  return exit_code;
}

int run_send(const SendOptions& o) {
  if (!o.capture.empty() && (!o.wav.empty() || o.tone_hz > 0)) {
    spdlog::error("--capture sends live audio: it does not mix with --wav or --tone");
    return 2;
  }
  if (!o.capture.empty()) {
    auto format = requested_format(o);
    if (!format) {
      spdlog::error("{}", format.error().message);
      return 2;
    }
    return run_capture_send(o, *format);
  }
  auto input = o.wav.empty() ? make_tone(o) : audio::read_wav(o.wav);
  if (!input) {
    spdlog::error("{}", input.error().message);
    return 2;
  }
  const audio::StreamFormat format = input->format;
  // Real time, as the driver sends: one datagram's worth of frames per period, with the
  // sender's clock running fast or slow by clock_skew_ppm.
  const double bytes_per_second = static_cast<double>(format.bytes_per_frame()) * format.rate_hz *
                                  (1.0 + o.clock_skew_ppm / 1e6);
  int exit_code = 0;
  auto out = ScreamOutput::open(o, format, exit_code);
  if (!out) return exit_code;
  const std::span<const std::byte> pcm(input->pcm);
  const std::size_t step = out->step();
  const TimePoint start = Clock::now();
  std::size_t sent = 0;
  while (sent < pcm.size() && !g_stop.load()) {
    const std::size_t n = std::min(step, pcm.size() - sent);
    out->send(pcm.subspan(sent, n));
    sent += n;
    const TimePoint due = start + from_seconds(static_cast<double>(sent) / bytes_per_second);
    const TimePoint now = Clock::now();
    if (due > now) precise_sleep(due - now);
  }
  out->finish();
  log_sent(sent / format.bytes_per_frame(), format, *out, "");
  return 0;
}

}  // namespace

void add_audio_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("audio", "play a VM's Scream audio with a steady, low latency");
  auto o = std::make_shared<AudioOptions>();
  cmd->add_option("--group", o->group, "multicast group")->capture_default_str();
  cmd->add_option("--port", o->port, "multicast port")->capture_default_str();
  cmd->add_option("--interface", o->interface,
                  "join the multicast group on this interface (default: virbr0 when it exists)");
  cmd->add_option("--listen", o->listen, "receive unicast on ADDR:PORT instead of multicast");
  cmd->add_option("--ivshmem", o->ivshmem, "read the Scream IVSHMEM ring in this file instead");
  cmd->add_option("--sink", o->sink,
                  "auto (PipeWire, else PulseAudio), pipewire[:NODE], pulse[:SINK], null, or "
                  "file:PATH.wav (records the stream exactly as received)")
      ->capture_default_str();
  cmd->add_option("--latency", o->latency_ms, "target latency in milliseconds")
      ->capture_default_str()
      ->check(CLI::Range(5.0, 500.0));
  cmd->add_option("--seconds", o->seconds, "stop after this many seconds");
  cmd->add_option("--stats-json", o->stats_json,
                  "write packets, drops, underruns and latency percentiles here at exit");
  cmd->add_flag("--stats", o->stats, "print statistics once a second");
  cmd->callback([o, &exit_code] { exit_code = run_audio(*o); });

  auto* send = app.add_subcommand("audio-send",
                                  "send audio as Scream packets (a Linux guest's "
                                  "sender, and the tests')");
  auto s = std::make_shared<SendOptions>();
  send->add_option("--wav", s->wav, "a PCM WAV file to send (16/24/32-bit)");
  send->add_option("--tone", s->tone_hz, "or a sine of this frequency at -6 dBFS");
  send->add_option("--capture", s->capture,
                   "or live audio from a sound server, sent as it arrives: pipewire[:NODE] "
                   "(NODE a source, or SINK.monitor for what a sink plays) or pulse[:SOURCE] "
                   "(e.g. SINK.monitor); default: the server's default source");
  send->add_option("--rate", s->rate, "tone/capture: sample rate")->capture_default_str();
  send->add_option("--bits", s->bits, "tone/capture: bits per sample (16, 24, 32)")
      ->capture_default_str();
  send->add_option("--channels", s->channels, "tone/capture: channels (1-8)")
      ->capture_default_str();
  send->add_option("--seconds", s->seconds,
                   "tone: its length (default 1); capture: stop after this long (default: "
                   "until Ctrl-C)");
  send->add_option("--to", s->to, "unicast to ADDR:PORT");
  send->add_flag("--multicast", s->multicast, "to the multicast group and port");
  send->add_option("--group", s->group, "multicast group")->capture_default_str();
  send->add_option("--port", s->port, "multicast port")->capture_default_str();
  send->add_option("--multicast-from", s->multicast_from, "the local address multicast leaves by")
      ->capture_default_str();
  send->add_option("--ivshmem", s->ivshmem, "write the Scream IVSHMEM ring in this file");
  send->add_option("--clock-skew-ppm", s->clock_skew_ppm,
                   "run the sender's clock fast (+) or slow (-) by this much (5000 = 0.5 %)")
      ->capture_default_str();
  send->callback([s, &exit_code] { exit_code = run_send(*s); });
}

}  // namespace periscope::app
