#include "audio/pulse_capture.hpp"

#include <pulse/error.h>
#include <pulse/simple.h>

#include <algorithm>
#include <array>
#include <utility>

namespace periscope::audio {

namespace {

constexpr const char* kNoServerHint = "is PulseAudio running? try --capture pipewire";

// The PulseAudio channel map of a Windows SPEAKER_* mask (Scream's): channel i is the i-th
// set bit, so the server fills the channels in the order the header announces.
pa_channel_map channel_map(std::uint16_t channel_mask, std::uint8_t channels) {
  static constexpr std::array<pa_channel_position_t, 16> kPositionOfBit = {
      PA_CHANNEL_POSITION_FRONT_LEFT,
      PA_CHANNEL_POSITION_FRONT_RIGHT,
      PA_CHANNEL_POSITION_FRONT_CENTER,
      PA_CHANNEL_POSITION_LFE,
      PA_CHANNEL_POSITION_REAR_LEFT,
      PA_CHANNEL_POSITION_REAR_RIGHT,
      PA_CHANNEL_POSITION_FRONT_LEFT_OF_CENTER,
      PA_CHANNEL_POSITION_FRONT_RIGHT_OF_CENTER,
      PA_CHANNEL_POSITION_REAR_CENTER,
      PA_CHANNEL_POSITION_SIDE_LEFT,
      PA_CHANNEL_POSITION_SIDE_RIGHT,
      PA_CHANNEL_POSITION_TOP_CENTER,
      PA_CHANNEL_POSITION_TOP_FRONT_LEFT,
      PA_CHANNEL_POSITION_TOP_FRONT_CENTER,
      PA_CHANNEL_POSITION_TOP_FRONT_RIGHT,
      PA_CHANNEL_POSITION_TOP_REAR_LEFT};
  pa_channel_map map{};
  map.channels = channels;
  std::size_t n = 0;
  for (std::size_t bit = 0; bit < kPositionOfBit.size() && n < channels; ++bit) {
    if ((channel_mask >> bit) & 1U) map.map[n++] = kPositionOfBit[bit];
  }
  // A mask with fewer bits than channels (valid for Scream): the rest are auxiliary.
  for (std::size_t aux = 0; n < channels; ++n, ++aux) {
    map.map[n] = static_cast<pa_channel_position_t>(PA_CHANNEL_POSITION_AUX0 + aux);
  }
  return map;
}

pa_sample_format_t sample_format(std::uint8_t bits) {
  switch (bits) {
    case 16:
      return PA_SAMPLE_S16LE;
    case 24:
      return PA_SAMPLE_S24LE;  // packed in 3 bytes, as Scream sends
    case 32:
      return PA_SAMPLE_S32LE;
    default:
      return PA_SAMPLE_INVALID;
  }
}

}  // namespace

void PulseCapture::SimpleDeleter::operator()(pa_simple* handle) const {
  if (handle != nullptr) pa_simple_free(handle);
}

PulseCapture::PulseCapture(std::unique_ptr<pa_simple, SimpleDeleter> stream,
                           const StreamFormat& format, std::size_t fragment_bytes)
    : stream_(std::move(stream)), format_(format), fragment_bytes_(fragment_bytes) {}

PulseCapture::~PulseCapture() = default;

Result<std::unique_ptr<PulseCapture>> PulseCapture::open(const PulseCaptureOptions& options) {
  const StreamFormat& format = options.format;
  if (!is_valid_format(format) || sample_format(format.bits) == PA_SAMPLE_INVALID ||
      format.rate_hz > PA_RATE_MAX) {
    return fail(ErrorCode::kInvalidArgument,
                "PulseAudio capture: {} Hz / {} bits / {} channels is not a Scream format",
                format.rate_hz, format.bits, format.channels);
  }
  pa_sample_spec spec{};
  spec.format = sample_format(format.bits);
  spec.rate = format.rate_hz;
  spec.channels = format.channels;
  const pa_channel_map map = channel_map(format.channel_mask, format.channels);
  const auto frames = std::max<std::uint64_t>(
      static_cast<std::uint64_t>(to_ms(options.fragment) * format.rate_hz / 1000.0), 1);
  const auto fragment_bytes = static_cast<std::uint32_t>(frames * format.bytes_per_frame());
  pa_buffer_attr attr{};
  attr.maxlength = UINT32_MAX;  // the server's default
  attr.tlength = UINT32_MAX;
  attr.prebuf = UINT32_MAX;
  attr.minreq = UINT32_MAX;
  attr.fragsize = fragment_bytes;

  int error = 0;
  std::unique_ptr<pa_simple, SimpleDeleter> stream(pa_simple_new(
      options.server.empty() ? nullptr : options.server.c_str(), options.app_name.c_str(),
      PA_STREAM_RECORD, options.source.empty() ? nullptr : options.source.c_str(), "Scream sender",
      &spec, &map, &attr, &error));
  if (!stream) {
    return fail(ErrorCode::kNotFound, "cannot open a PulseAudio record stream{}{}{}{}: {}; {}",
                options.source.empty() ? "" : " on ", options.source,
                options.server.empty() ? "" : " at ", options.server, pa_strerror(error),
                kNoServerHint);
  }
  return std::unique_ptr<PulseCapture>(new PulseCapture(std::move(stream), format, fragment_bytes));
}

Result<std::size_t> PulseCapture::read(std::span<std::byte> out, Nanoseconds) {
  const std::size_t frame = format_.bytes_per_frame();
  const std::size_t n = std::min(fragment_bytes_, out.size() - out.size() % frame);
  if (n == 0) return std::size_t{0};
  int error = 0;
  if (pa_simple_read(stream_.get(), out.data(), n, &error) < 0) {
    return fail(ErrorCode::kIo, "PulseAudio: read failed: {}", pa_strerror(error));
  }
  return n;
}

}  // namespace periscope::audio
