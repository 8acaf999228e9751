#include "audio/pipewire_capture.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "audio/pipewire_handles.hpp"

#include <spa/param/audio/format-utils.h>
#include <spa/pod/builder.h>

namespace periscope::audio {

namespace {

constexpr const char* kNoDaemonHint = "is PipeWire running? try --capture pulse";
constexpr std::string_view kMonitorSuffix = ".monitor";

spa_audio_format sample_format(std::uint8_t bits) {
  switch (bits) {
    case 16:
      return SPA_AUDIO_FORMAT_S16_LE;
    case 24:
      return SPA_AUDIO_FORMAT_S24_LE;  // packed in 3 bytes, as Scream sends
    case 32:
      return SPA_AUDIO_FORMAT_S32_LE;
    default:
      return SPA_AUDIO_FORMAT_UNKNOWN;
  }
}

}  // namespace

PipeWireCaptureTarget parse_pipewire_capture_target(std::string_view target) {
  if (target.size() > kMonitorSuffix.size() && target.ends_with(kMonitorSuffix)) {
    return {std::string(target.substr(0, target.size() - kMonitorSuffix.size())), true};
  }
  return {std::string(target), false};
}

// The owning PipeWire objects, torn down in the one safe order.
struct PipeWireCapture::Handles {
  pw::Connection pw;  // destroyed last: the stream and the listeners are made on its core
  pw::StreamPtr stream;
  spa_hook core_listener{};
  spa_hook stream_listener{};
  // Written on the loop thread, read under the loop's lock.
  pw_stream_state state{PW_STREAM_STATE_UNCONNECTED};
  bool connected{false};  // the stream got past connecting once

  Handles() = default;
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;
  ~Handles() {
    // Stop the loop's thread first: the objects below belong to it, and once it is joined they
    // can be destroyed from here without its lock (no process() can run any more).
    pw.stop();
    // Destroying the stream reports a last state change; the capture is half gone by then.
    if (stream) spa_hook_remove(&stream_listener);
    stream.reset();
    if (pw.core() != nullptr) spa_hook_remove(&core_listener);
    // pw, destroyed after this body, disconnects the core and destroys context and loop.
  }
};

struct PipeWireCapture::Callbacks {
  static const pw_stream_events kStreamEvents;
  static const pw_core_events kCoreEvents;
};

const pw_stream_events PipeWireCapture::Callbacks::kStreamEvents = [] {
  pw_stream_events events{};
  events.version = PW_VERSION_STREAM_EVENTS;
  events.state_changed = [](void* data, pw_stream_state, pw_stream_state state, const char* error) {
    auto* self = static_cast<PipeWireCapture*>(data);
    Handles& h = *self->handles_;
    h.state = state;
    if (state == PW_STREAM_STATE_ERROR) {
      self->fail_stream(fmt::format("PipeWire capture stream: {}", error ? error : "error"));
    } else if (state == PW_STREAM_STATE_UNCONNECTED && h.connected) {
      self->fail_stream("PipeWire capture stream disconnected");
    } else if (state != PW_STREAM_STATE_CONNECTING) {
      h.connected = true;
    }
    pw_thread_loop_signal(h.pw.loop(), false);
  };
  events.process = [](void* data) { static_cast<PipeWireCapture*>(data)->process(); };
  return events;
}();

const pw_core_events PipeWireCapture::Callbacks::kCoreEvents = [] {
  pw_core_events events{};
  events.version = PW_VERSION_CORE_EVENTS;
  events.error = [](void* data, std::uint32_t id, int, int res, const char* message) {
    // Only the core's own errors end the capture (the daemon went away, or refused us).
    if (id != PW_ID_CORE) return;
    auto* self = static_cast<PipeWireCapture*>(data);
    self->fail_stream(
        fmt::format("PipeWire: {} ({})", message ? message : "error", std::strerror(-res)));
    pw_thread_loop_signal(self->handles_->pw.loop(), false);
  };
  return events;
}();

PipeWireCapture::PipeWireCapture(const StreamFormat& format, std::size_t ring_bytes)
    : format_(format), handles_(std::make_unique<Handles>()), ring_(ring_bytes) {}

PipeWireCapture::~PipeWireCapture() {
  handles_.reset();
}

Result<std::unique_ptr<PipeWireCapture>> PipeWireCapture::open(
    const PipeWireCaptureOptions& options) {
  const StreamFormat& format = options.format;
  if (!is_valid_format(format) || sample_format(format.bits) == SPA_AUDIO_FORMAT_UNKNOWN) {
    return fail(ErrorCode::kInvalidArgument,
                "PipeWire capture: {} Hz / {} bits / {} channels is not a Scream format",
                format.rate_hz, format.bits, format.channels);
  }
  pw::ensure_initialised();
  // Whole frames, at least 50 ms of them.
  const auto frames = std::max<std::uint64_t>(
      static_cast<std::uint64_t>(to_ms(options.buffer) * format.rate_hz / 1000.0),
      format.rate_hz / 20);
  std::unique_ptr<PipeWireCapture> capture(
      new PipeWireCapture(format, frames * format.bytes_per_frame()));
  if (auto status = capture->connect(options); !status) return tl::unexpected(status.error());
  return capture;
}

Status PipeWireCapture::connect(const PipeWireCaptureOptions& options) {
  Handles& h = *handles_;
  if (auto status = h.pw.start("periscope-pw-capture"); !status) return status;
  pw::ThreadLoopLock lock(h.pw.loop());
  if (auto status = h.pw.connect(kNoDaemonHint); !status) return status;
  pw::add_core_listener(h.pw.core(), &h.core_listener, &Callbacks::kCoreEvents, this);

  pw::PropertiesPtr props(
      pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY, "Capture", nullptr));
  if (!props) return fail_errno(errno, "pw_properties_new");
  pw_properties_set(props.get(), PW_KEY_APP_NAME, options.app_name.c_str());
  pw_properties_set(props.get(), PW_KEY_NODE_NAME, options.app_name.c_str());
  pw_properties_setf(props.get(), PW_KEY_NODE_LATENCY, "%u/%u", options.latency_frames,
                     format_.rate_hz);
  const PipeWireCaptureTarget target = parse_pipewire_capture_target(options.target);
  if (!target.object.empty()) {
    pw_properties_set(props.get(), PW_KEY_TARGET_OBJECT, target.object.c_str());
  }
  if (target.capture_sink) pw_properties_set(props.get(), PW_KEY_STREAM_CAPTURE_SINK, "true");
  if (!options.extra_properties.empty()) {
    pw_properties_update_string(props.get(), options.extra_properties.c_str(),
                                options.extra_properties.size());
  }
  // pw_stream_new takes the properties whether or not it succeeds.
  h.stream.reset(pw_stream_new(h.pw.core(), options.app_name.c_str(), props.release()));
  if (!h.stream) return fail_errno(errno, "pw_stream_new");
  pw_stream_add_listener(h.stream.get(), &h.stream_listener, &Callbacks::kStreamEvents, this);

  spa_audio_info_raw info{};
  info.format = sample_format(format_.bits);
  info.rate = format_.rate_hz;
  info.channels = format_.channels;
  const auto positions = pw::positions_of_mask(format_.channel_mask);
  std::copy_n(positions.begin(), format_.channels, info.position);
  std::array<std::uint8_t, 1024> pod_buffer{};
  spa_pod_builder builder{};
  spa_pod_builder_init(&builder, pod_buffer.data(), static_cast<std::uint32_t>(pod_buffer.size()));
  const spa_pod* params[] = {spa_format_audio_raw_build(&builder, SPA_PARAM_EnumFormat, &info)};

  // No PW_STREAM_FLAG_RT_PROCESS: process() then runs on the thread loop's thread, not the
  // realtime data thread, so it may take the ring's mutex; a capture a few milliseconds late
  // costs nothing (the reader sends it as soon as it is there).
  const auto flags =
      static_cast<pw_stream_flags>(PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS);
  if (const int res =
          pw_stream_connect(h.stream.get(), PW_DIRECTION_INPUT, PW_ID_ANY, flags, params, 1);
      res < 0) {
    return fail_errno(-res, "pw_stream_connect");
  }
  const bool settled = pw::wait_until(h.pw.loop(), options.timeout, [&] {
    return h.state != PW_STREAM_STATE_CONNECTING && h.state != PW_STREAM_STATE_UNCONNECTED;
  });
  {
    std::lock_guard guard(mutex_);
    if (!error_.empty()) return fail(ErrorCode::kIo, "{}; {}", error_, kNoDaemonHint);
  }
  if (!settled) {
    return fail(ErrorCode::kTimeout, "PipeWire did not accept the capture stream; {}",
                kNoDaemonHint);
  }
  return {};
}

void PipeWireCapture::process() {
  pw_stream* stream = handles_->stream.get();
  pw_buffer* buffer = pw_stream_dequeue_buffer(stream);
  if (buffer == nullptr) return;
  const spa_data& data = buffer->buffer->datas[0];
  if (data.data != nullptr && data.chunk != nullptr) {
    // The chunk says what the cycle holds; never trust it past the mapped size.
    const std::uint32_t offset = std::min(data.chunk->offset, data.maxsize);
    const std::uint32_t size = std::min(data.chunk->size, data.maxsize - offset);
    push(std::span<const std::byte>(static_cast<const std::byte*>(data.data) + offset, size));
  }
  pw_stream_queue_buffer(stream, buffer);
}

void PipeWireCapture::push(std::span<const std::byte> bytes) {
  const std::size_t frame = format_.bytes_per_frame();
  bytes = bytes.first(bytes.size() - bytes.size() % frame);
  if (bytes.empty()) return;
  {
    std::lock_guard guard(mutex_);
    const std::size_t capacity = ring_.size();
    if (bytes.size() > capacity) {  // more than the whole ring: keep the newest
      frames_lost_ += (bytes.size() - capacity) / frame;
      bytes = bytes.last(capacity);
    }
    if (size_ + bytes.size() > capacity) {  // drop the oldest whole frames
      const std::size_t drop = size_ + bytes.size() - capacity;
      frames_lost_ += drop / frame;
      head_ = (head_ + drop) % capacity;
      size_ -= drop;
    }
    std::size_t tail = (head_ + size_) % capacity;
    const std::size_t first = std::min(bytes.size(), capacity - tail);
    std::memcpy(ring_.data() + tail, bytes.data(), first);
    std::memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
    size_ += bytes.size();
  }
  readable_.notify_one();
}

void PipeWireCapture::fail_stream(std::string message) {
  {
    std::lock_guard guard(mutex_);
    if (error_.empty()) error_ = std::move(message);
  }
  readable_.notify_all();
}

Result<std::size_t> PipeWireCapture::read(std::span<std::byte> out, Nanoseconds timeout) {
  std::unique_lock guard(mutex_);
  readable_.wait_for(guard, timeout, [&] { return size_ > 0 || !error_.empty(); });
  if (size_ == 0 && !error_.empty()) return fail(ErrorCode::kIo, "{}", error_);
  const std::size_t frame = format_.bytes_per_frame();
  const std::size_t n = std::min(size_, out.size() - out.size() % frame);
  if (n == 0) return std::size_t{0};
  const std::size_t capacity = ring_.size();
  const std::size_t first = std::min(n, capacity - head_);
  std::memcpy(out.data(), ring_.data() + head_, first);
  std::memcpy(out.data() + first, ring_.data(), n - first);
  head_ = (head_ + n) % capacity;
  size_ -= n;
  return n;
}

std::uint64_t PipeWireCapture::frames_lost() const {
  std::lock_guard guard(mutex_);
  return frames_lost_;
}

}  // namespace periscope::audio
