#include "audio/pipewire_sink.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include "audio/pipewire_handles.hpp"

#include <spa/param/audio/format-utils.h>
#include <spa/pod/builder.h>

namespace periscope::audio {

namespace {

constexpr const char* kNoDaemonHint =
    "is PipeWire running? try --sink pulse or --sink file:out.wav";
constexpr std::uint32_t kFallbackRate = 48000;  // when the daemon does not say

// Windows' default speaker layouts for each channel count (KSAUDIO_SPEAKER_*), the order the
// Scream driver sends and the channel mixer keeps when the counts match.
std::array<std::uint32_t, 8> channel_positions(std::uint32_t channels) {
  using P = std::array<std::uint32_t, 8>;
  switch (channels) {
    case 1:
      return P{SPA_AUDIO_CHANNEL_MONO};
    case 2:
      return P{SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR};
    case 3:
      return P{SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_FC};
    case 4:
      return P{SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
               SPA_AUDIO_CHANNEL_RR};
    case 5:
      return P{SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_FC,
               SPA_AUDIO_CHANNEL_RL, SPA_AUDIO_CHANNEL_RR};
    case 6:
      return P{SPA_AUDIO_CHANNEL_FL,  SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_FC,
               SPA_AUDIO_CHANNEL_LFE, SPA_AUDIO_CHANNEL_RL, SPA_AUDIO_CHANNEL_RR};
    case 7:
      return P{SPA_AUDIO_CHANNEL_FL,  SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_FC,
               SPA_AUDIO_CHANNEL_LFE, SPA_AUDIO_CHANNEL_RL, SPA_AUDIO_CHANNEL_RR,
               SPA_AUDIO_CHANNEL_RC};
    default:
      return P{SPA_AUDIO_CHANNEL_FL,  SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_FC,
               SPA_AUDIO_CHANNEL_LFE, SPA_AUDIO_CHANNEL_RL, SPA_AUDIO_CHANNEL_RR,
               SPA_AUDIO_CHANNEL_SL,  SPA_AUDIO_CHANNEL_SR};
  }
}

// What the daemon says about itself, collected on the loop thread during open.
struct CoreQuery {
  pw_thread_loop* loop{nullptr};
  int pending_seq{-1};
  bool done{false};
  std::uint32_t clock_rate{0};
  std::string error;
};

const pw_core_events kCoreQueryEvents = [] {
  pw_core_events events{};
  events.version = PW_VERSION_CORE_EVENTS;
  events.info = [](void* data, const pw_core_info* info) {
    auto* query = static_cast<CoreQuery*>(data);
    // The graph's rate is the daemon's configured default.clock.rate (a 48 kHz-only device
    // runs the graph at 48 kHz); the core info carries the daemon's context properties.
    const char* rate = info->props ? spa_dict_lookup(info->props, "default.clock.rate") : nullptr;
    std::uint32_t value = 0;
    if (rate != nullptr &&
        std::from_chars(rate, rate + std::strlen(rate), value).ec == std::errc{} && value > 0) {
      query->clock_rate = value;
    }
  };
  events.done = [](void* data, std::uint32_t id, int seq) {
    auto* query = static_cast<CoreQuery*>(data);
    if (id == PW_ID_CORE && seq == query->pending_seq) {
      query->done = true;
      pw_thread_loop_signal(query->loop, false);
    }
  };
  events.error = [](void* data, std::uint32_t id, int, int res, const char* message) {
    auto* query = static_cast<CoreQuery*>(data);
    if (id != PW_ID_CORE) return;
    query->error = fmt::format("{} ({})", message ? message : "error", std::strerror(-res));
    pw_thread_loop_signal(query->loop, false);
  };
  return events;
}();

// The graph's clock rate, asked of the daemon with one round trip (caller holds the lock).
Result<std::uint32_t> query_graph_rate(pw_thread_loop* loop, pw_core* core, Nanoseconds timeout) {
  CoreQuery query;
  query.loop = loop;
  spa_hook listener{};
  pw::add_core_listener(core, &listener, &kCoreQueryEvents, &query);
  query.pending_seq = pw::core_sync(core);
  const bool answered =
      pw::wait_until(loop, timeout, [&] { return query.done || !query.error.empty(); });
  spa_hook_remove(&listener);
  if (!query.error.empty()) {
    return fail(ErrorCode::kIo, "PipeWire: {}; {}", query.error, kNoDaemonHint);
  }
  if (!answered) return fail(ErrorCode::kTimeout, "PipeWire did not answer; {}", kNoDaemonHint);
  return query.clock_rate != 0 ? query.clock_rate : kFallbackRate;
}

}  // namespace

// The owning PipeWire objects, torn down in the one safe order.
struct PipeWireSink::Handles {
  pw::Connection pw;  // destroyed last: the stream is made on its core
  pw::StreamPtr stream;
  spa_hook stream_listener{};
  // Written on the loop thread (state_changed), read under the loop's lock.
  pw_stream_state state{PW_STREAM_STATE_UNCONNECTED};
  std::string stream_error;

  Handles() = default;
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;
  ~Handles() {
    // Stop the loop's thread first: the objects below belong to it, and once it is joined they
    // can be destroyed from here without its lock. Destroying the stream takes its node off
    // the data thread before it returns, so process() cannot run on a half-destroyed sink.
    pw.stop();
    // Destroying the stream reports a last state change; the sink is half gone by then.
    if (stream) spa_hook_remove(&stream_listener);
    stream.reset();
    // pw, destroyed after this body, disconnects the core and destroys context and loop.
  }
};

struct PipeWireSink::Callbacks {
  static const pw_stream_events kStreamEvents;
};

const pw_stream_events PipeWireSink::Callbacks::kStreamEvents = [] {
  pw_stream_events events{};
  events.version = PW_VERSION_STREAM_EVENTS;
  events.state_changed = [](void* data, pw_stream_state, pw_stream_state state, const char* error) {
    auto* self = static_cast<PipeWireSink*>(data);
    self->handles_->state = state;
    if (state == PW_STREAM_STATE_ERROR) self->handles_->stream_error = error ? error : "error";
    pw_thread_loop_signal(self->handles_->pw.loop(), false);
  };
  events.process = [](void* data) { static_cast<PipeWireSink*>(data)->process(); };
  return events;
}();

PipeWireSink::PipeWireSink() : handles_(std::make_unique<Handles>()) {}

PipeWireSink::~PipeWireSink() {
  stop();
  handles_.reset();
}

Result<std::unique_ptr<PipeWireSink>> PipeWireSink::open(PipeWireSinkOptions options) {
  if (options.channels < 1 || options.channels > 8) {
    return fail(ErrorCode::kInvalidArgument, "PipeWire sink: {} channels (1..8)", options.channels);
  }
  pw::ensure_initialised();
  std::unique_ptr<PipeWireSink> sink(new PipeWireSink());
  if (auto status = sink->connect(options); !status) return tl::unexpected(status.error());
  return sink;
}

Status PipeWireSink::connect(const PipeWireSinkOptions& options) {
  Handles& h = *handles_;
  if (auto status = h.pw.start("periscope-pipewire"); !status) return status;
  pw::ThreadLoopLock lock(h.pw.loop());
  if (auto status = h.pw.connect(kNoDaemonHint); !status) return status;

  std::uint32_t rate = options.rate_hz;
  if (rate == 0) {
    auto graph_rate = query_graph_rate(h.pw.loop(), h.pw.core(), options.timeout);
    if (!graph_rate) return tl::unexpected(graph_rate.error());
    rate = *graph_rate;
  }
  format_ = SinkFormat{rate, options.channels};

  pw::PropertiesPtr props(pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY,
                                            "Playback", PW_KEY_MEDIA_ROLE, "Game", nullptr));
  if (!props) return fail_errno(errno, "pw_properties_new");
  pw_properties_set(props.get(), PW_KEY_APP_NAME, options.app_name.c_str());
  pw_properties_set(props.get(), PW_KEY_NODE_NAME, options.app_name.c_str());
  pw_properties_setf(props.get(), PW_KEY_NODE_LATENCY, "%u/%u", options.latency_frames, rate);
  if (!options.target.empty()) {
    pw_properties_set(props.get(), PW_KEY_TARGET_OBJECT, options.target.c_str());
  }
  if (!options.extra_properties.empty()) {
    pw_properties_update_string(props.get(), options.extra_properties.c_str(),
                                options.extra_properties.size());
  }
  // pw_stream_new takes the properties whether or not it succeeds.
  h.stream.reset(pw_stream_new(h.pw.core(), options.app_name.c_str(), props.release()));
  if (!h.stream) return fail_errno(errno, "pw_stream_new");
  pw_stream_add_listener(h.stream.get(), &h.stream_listener, &Callbacks::kStreamEvents, this);

  spa_audio_info_raw info{};
  info.format = SPA_AUDIO_FORMAT_F32;
  info.rate = rate;
  info.channels = options.channels;
  const auto positions = channel_positions(options.channels);
  std::copy_n(positions.begin(), options.channels, info.position);
  std::array<std::uint8_t, 1024> pod_buffer{};
  spa_pod_builder builder{};
  spa_pod_builder_init(&builder, pod_buffer.data(), static_cast<std::uint32_t>(pod_buffer.size()));
  const spa_pod* params[] = {spa_format_audio_raw_build(&builder, SPA_PARAM_EnumFormat, &info)};

  // Inactive until start(): the graph must not pull before there is a render callback.
  const auto flags =
      static_cast<pw_stream_flags>(PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
                                   PW_STREAM_FLAG_RT_PROCESS | PW_STREAM_FLAG_INACTIVE);
  if (const int res =
          pw_stream_connect(h.stream.get(), PW_DIRECTION_OUTPUT, PW_ID_ANY, flags, params, 1);
      res < 0) {
    return fail_errno(-res, "pw_stream_connect");
  }
  const bool settled = pw::wait_until(h.pw.loop(), options.timeout, [&] {
    return h.state != PW_STREAM_STATE_CONNECTING && h.state != PW_STREAM_STATE_UNCONNECTED;
  });
  if (h.state == PW_STREAM_STATE_ERROR) {
    return fail(ErrorCode::kIo, "PipeWire stream: {}", h.stream_error);
  }
  if (!settled) {
    return fail(ErrorCode::kTimeout, "PipeWire did not accept the stream; {}", kNoDaemonHint);
  }
  return {};
}

Status PipeWireSink::start(RenderCallback render) {
  if (active_.load()) return fail(ErrorCode::kBusy, "PipeWire sink already started");
  // No render call is in flight (stop() waited for it), so render_ can be replaced.
  render_ = std::move(render);
  pw::ThreadLoopLock lock(handles_->pw.loop());
  if (handles_->state == PW_STREAM_STATE_ERROR) {
    return fail(ErrorCode::kIo, "PipeWire stream: {}", handles_->stream_error);
  }
  active_.store(true);
  if (const int res = pw_stream_set_active(handles_->stream.get(), true); res < 0) {
    active_.store(false);
    return fail_errno(-res, "pw_stream_set_active");
  }
  return {};
}

void PipeWireSink::stop() {
  if (!active_.exchange(false)) return;
  {
    pw::ThreadLoopLock lock(handles_->pw.loop());
    pw_stream_set_active(handles_->stream.get(), false);
  }
  // A render that began before the store above may still run on the data thread; it is one
  // block (well under a millisecond of work), so yielding until it ends is cheap.
  while (in_render_.load()) std::this_thread::yield();
}

void PipeWireSink::process() {
  pw_stream* stream = handles_->stream.get();
  pw_buffer* buffer = pw_stream_dequeue_buffer(stream);
  if (buffer == nullptr) return;  // every buffer is queued already: nothing to fill this cycle
  spa_data& data = buffer->buffer->datas[0];
  if (data.data == nullptr) {
    pw_stream_queue_buffer(stream, buffer);
    return;
  }
  const std::uint32_t stride = static_cast<std::uint32_t>(sizeof(float)) * format_.channels;
  std::uint64_t frames = data.maxsize / stride;
  // What the graph (or the stream's resampler) needs this cycle; 0 when it has no opinion.
  if (buffer->requested != 0) frames = std::min(frames, buffer->requested);
  const std::span<float> out(static_cast<float*>(data.data), frames * format_.channels);

  in_render_.store(true);
  if (active_.load()) {
    render_(out, Nanoseconds(Clock::now().time_since_epoch()));
  } else {
    std::fill(out.begin(), out.end(), 0.0f);
  }
  in_render_.store(false);

  data.chunk->offset = 0;
  data.chunk->stride = static_cast<std::int32_t>(stride);
  data.chunk->size = static_cast<std::uint32_t>(frames) * stride;
  buffer->size = frames;  // in frames: pw_time.queued then counts frames
  pw_stream_queue_buffer(stream, buffer);
}

Nanoseconds PipeWireSink::device_latency() const {
  pw_time time{};
  if (pw_stream_get_time_n(handles_->stream.get(), &time, sizeof time) < 0 ||
      time.rate.denom == 0 || format_.rate_hz == 0) {
    return Nanoseconds(0);
  }
  // delay is in graph ticks (rate = 1/graph rate); buffered and queued in our frames.
  const double graph_seconds =
      static_cast<double>(std::max<std::int64_t>(time.delay, 0)) * time.rate.num / time.rate.denom;
  const double stream_seconds = static_cast<double>(time.buffered + time.queued) / format_.rate_hz;
  return from_seconds(graph_seconds + stream_seconds);
}

}  // namespace periscope::audio
