#pragma once
// The Scream wire format (docs: /work/shared/spec/scream-audio.md, section 1): the 5-byte
// header every UDP datagram carries, its rate byte, and the datagram size rules.
//
// Parsing never allocates and never throws: a malformed datagram comes back as a ScreamDrop
// whose reason a receiver counts (a hostile or broken sender can send millions of them).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <tl/expected.hpp>

#include "common/result.hpp"

namespace periscope::audio {

inline constexpr std::size_t kScreamHeaderBytes = 5;
inline constexpr std::size_t kScreamPayloadBytes = 1152;  // what the driver puts in every datagram
inline constexpr std::size_t kScreamPacketBytes = kScreamHeaderBytes + kScreamPayloadBytes;
inline constexpr std::uint8_t kScreamMaxChannels = 8;

struct StreamFormat {
  std::uint32_t rate_hz{0};
  std::uint8_t bits{0};  // bits per sample: 16, 24 (packed in 3 bytes) or 32
  std::uint8_t channels{0};
  std::uint16_t channel_mask{0};  // Windows SPEAKER_* bits; channel i is the i-th set bit

  [[nodiscard]] std::uint32_t bytes_per_sample() const { return bits / 8U; }
  [[nodiscard]] std::uint32_t bytes_per_frame() const { return bytes_per_sample() * channels; }
  friend bool operator==(const StreamFormat&, const StreamFormat&) = default;
};

// True when a format obeys the spec's rules (what parse accepts, what encode may write).
[[nodiscard]] bool is_valid_format(const StreamFormat& format);

// The rate byte: bit 7 picks the base (1: 44100, 0: 48000), bits 0-6 the multiplier (0 is
// invalid). nullopt for an invalid byte, or for a rate that is no such multiple.
[[nodiscard]] std::optional<std::uint32_t> decode_rate_byte(std::uint8_t byte);
[[nodiscard]] std::optional<std::uint8_t> encode_rate_byte(std::uint32_t rate_hz);

// Why a datagram (or a header) was refused. Stable order: receivers index counters by it.
enum class ScreamDrop : std::uint8_t {
  kTooShort,      // fewer than 5 bytes: no header
  kTooLong,       // more than 1157 bytes
  kBadRate,       // multiplier 0
  kBadBits,       // not 16, 24 or 32
  kBadChannels,   // 0 or more than 8
  kEmptyPayload,  // a header and no PCM
  kPartialFrame,  // shorter than 1157 bytes and not a whole number of frames
  kCount,
};

[[nodiscard]] std::string_view drop_reason_name(ScreamDrop reason);
// For callers that report a drop through the project's Error (allocates: not per packet).
[[nodiscard]] Error to_error(ScreamDrop reason);

using ScreamHeaderBytes = std::array<std::byte, kScreamHeaderBytes>;

[[nodiscard]] tl::expected<StreamFormat, ScreamDrop> parse_header(
    std::span<const std::byte, kScreamHeaderBytes> header);
// nullopt when the format is not valid (see is_valid_format) or its rate has no rate byte.
[[nodiscard]] std::optional<ScreamHeaderBytes> encode_header(const StreamFormat& format);

struct ScreamPacket {
  StreamFormat format;
  // The PCM bytes, pointing into the datagram. A whole number of frames, except in a full
  // 1157-byte datagram of a format whose frame size does not divide 1152 (5 or 7 channels):
  // the driver cuts its byte stream every 1152 bytes, so a frame may continue in the next
  // datagram (FrameAssembler joins them).
  std::span<const std::byte> pcm;
};

[[nodiscard]] tl::expected<ScreamPacket, ScreamDrop> parse_udp_packet(
    std::span<const std::byte> datagram);

// The sender side, exactly like the Windows driver: the PCM byte stream is cut into 1152-byte
// payloads, each behind the header, frame boundaries ignored. emit(std::span<const std::byte>)
// is called once per 1157-byte datagram (the span is valid during the call only). Returns the
// PCM bytes consumed, a multiple of 1152: the caller keeps the rest for the next call. Returns
// 0 and emits nothing for an invalid format.
template <typename Emit>
std::size_t encode_udp_packets(const StreamFormat& format, std::span<const std::byte> pcm,
                               Emit&& emit) {
  const auto header = encode_header(format);
  if (!header) return 0;
  std::array<std::byte, kScreamPacketBytes> datagram{};
  std::copy(header->begin(), header->end(), datagram.begin());
  std::size_t consumed = 0;
  while (pcm.size() - consumed >= kScreamPayloadBytes) {
    const auto payload = pcm.subspan(consumed, kScreamPayloadBytes);
    std::copy(payload.begin(), payload.end(), datagram.begin() + kScreamHeaderBytes);
    emit(std::span<const std::byte>(datagram));
    consumed += kScreamPayloadBytes;
  }
  return consumed;
}

}  // namespace periscope::audio
