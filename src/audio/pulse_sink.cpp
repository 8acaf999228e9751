#include "audio/pulse_sink.hpp"

#include <pulse/error.h>
#include <pulse/simple.h>

#include <algorithm>
#include <array>
#include <utility>

#include <spdlog/spdlog.h>

namespace periscope::audio {

namespace {

constexpr const char* kNoServerHint = "is PulseAudio running? try --sink file:out.wav";

// Windows' default speaker layouts (KSAUDIO_SPEAKER_*), as the PipeWire sink uses.
pa_channel_map channel_map(std::uint32_t channels) {
  using P = std::array<pa_channel_position_t, 8>;
  P positions{};
  switch (channels) {
    case 1:
      positions = P{PA_CHANNEL_POSITION_MONO};
      break;
    case 2:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT, PA_CHANNEL_POSITION_FRONT_RIGHT};
      break;
    case 3:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT, PA_CHANNEL_POSITION_FRONT_RIGHT,
                    PA_CHANNEL_POSITION_FRONT_CENTER};
      break;
    case 4:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT, PA_CHANNEL_POSITION_FRONT_RIGHT,
                    PA_CHANNEL_POSITION_REAR_LEFT, PA_CHANNEL_POSITION_REAR_RIGHT};
      break;
    case 5:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT, PA_CHANNEL_POSITION_FRONT_RIGHT,
                    PA_CHANNEL_POSITION_FRONT_CENTER, PA_CHANNEL_POSITION_REAR_LEFT,
                    PA_CHANNEL_POSITION_REAR_RIGHT};
      break;
    case 6:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT,   PA_CHANNEL_POSITION_FRONT_RIGHT,
                    PA_CHANNEL_POSITION_FRONT_CENTER, PA_CHANNEL_POSITION_LFE,
                    PA_CHANNEL_POSITION_REAR_LEFT,    PA_CHANNEL_POSITION_REAR_RIGHT};
      break;
    case 7:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT,   PA_CHANNEL_POSITION_FRONT_RIGHT,
                    PA_CHANNEL_POSITION_FRONT_CENTER, PA_CHANNEL_POSITION_LFE,
                    PA_CHANNEL_POSITION_REAR_LEFT,    PA_CHANNEL_POSITION_REAR_RIGHT,
                    PA_CHANNEL_POSITION_REAR_CENTER};
      break;
    default:
      positions = P{PA_CHANNEL_POSITION_FRONT_LEFT,   PA_CHANNEL_POSITION_FRONT_RIGHT,
                    PA_CHANNEL_POSITION_FRONT_CENTER, PA_CHANNEL_POSITION_LFE,
                    PA_CHANNEL_POSITION_REAR_LEFT,    PA_CHANNEL_POSITION_REAR_RIGHT,
                    PA_CHANNEL_POSITION_SIDE_LEFT,    PA_CHANNEL_POSITION_SIDE_RIGHT};
      break;
  }
  pa_channel_map map{};
  map.channels = static_cast<std::uint8_t>(channels);
  std::copy_n(positions.begin(), channels, map.map);
  return map;
}

std::uint32_t bytes_for(Nanoseconds duration, const SinkFormat& format) {
  const auto frames =
      static_cast<std::uint64_t>(duration.count()) * format.rate_hz / 1'000'000'000U;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(frames, 1) * format.channels *
                                    sizeof(float));
}

}  // namespace

void PulseSink::SimpleDeleter::operator()(pa_simple* handle) const {
  if (handle != nullptr) pa_simple_free(handle);
}

PulseSink::PulseSink(std::unique_ptr<pa_simple, SimpleDeleter> stream, SinkFormat format,
                     std::size_t block_frames)
    : stream_(std::move(stream)), format_(format), block_(block_frames * format.channels) {}

PulseSink::~PulseSink() {
  stop();
}

Result<std::unique_ptr<PulseSink>> PulseSink::open(PulseSinkOptions options) {
  if (options.channels < 1 || options.channels > 8) {
    return fail(ErrorCode::kInvalidArgument, "PulseAudio sink: {} channels (1..8)",
                options.channels);
  }
  if (options.rate_hz == 0 || options.rate_hz > PA_RATE_MAX) {
    return fail(ErrorCode::kInvalidArgument, "PulseAudio sink: rate {} Hz", options.rate_hz);
  }
  const SinkFormat format{options.rate_hz, options.channels};
  pa_sample_spec spec{};
  spec.format = PA_SAMPLE_FLOAT32LE;
  spec.rate = format.rate_hz;
  spec.channels = static_cast<std::uint8_t>(format.channels);
  const pa_channel_map map = channel_map(format.channels);
  const std::uint32_t block_bytes = bytes_for(options.block, format);
  pa_buffer_attr attr{};
  attr.maxlength = UINT32_MAX;  // the server's default
  attr.tlength = std::max(bytes_for(options.latency, format), 2 * block_bytes);
  attr.prebuf = UINT32_MAX;  // start once tlength is there
  attr.minreq = block_bytes;
  attr.fragsize = UINT32_MAX;

  int error = 0;
  std::unique_ptr<pa_simple, SimpleDeleter> stream(pa_simple_new(
      options.server.empty() ? nullptr : options.server.c_str(), options.app_name.c_str(),
      PA_STREAM_PLAYBACK, options.device.empty() ? nullptr : options.device.c_str(), "VM audio",
      &spec, &map, &attr, &error));
  if (!stream) {
    return fail(ErrorCode::kNotFound, "cannot open a PulseAudio stream{}{}: {}; {}",
                options.server.empty() ? "" : " on ", options.server, pa_strerror(error),
                kNoServerHint);
  }
  const std::size_t block_frames = block_bytes / (sizeof(float) * format.channels);
  return std::unique_ptr<PulseSink>(new PulseSink(std::move(stream), format, block_frames));
}

Status PulseSink::start(RenderCallback render) {
  if (thread_.joinable()) return fail(ErrorCode::kBusy, "PulseAudio sink already started");
  render_ = std::move(render);
  running_.store(true);
  thread_ = std::thread([this] { run(); });
  return {};
}

void PulseSink::stop() {
  running_.store(false);
  // The thread notices within one block: each write returns once the server took it.
  if (thread_.joinable()) thread_.join();
}

void PulseSink::run() {
  while (running_.load()) {
    render_(block_, Nanoseconds(Clock::now().time_since_epoch()));
    int error = 0;
    if (pa_simple_write(stream_.get(), block_.data(), block_.size() * sizeof(float), &error) < 0) {
      spdlog::error("PulseAudio: write failed: {}", pa_strerror(error));
      break;
    }
    const pa_usec_t latency = pa_simple_get_latency(stream_.get(), &error);
    if (latency != static_cast<pa_usec_t>(-1)) {
      latency_ns_.store(static_cast<std::int64_t>(latency) * 1000, std::memory_order_relaxed);
    }
  }
}

}  // namespace periscope::audio
