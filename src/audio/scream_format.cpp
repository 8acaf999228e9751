#include "audio/scream_format.hpp"

namespace periscope::audio {

namespace {

constexpr std::uint8_t kRateBase44100 = 0x80;
constexpr std::uint8_t kMultiplierMask = 0x7f;
constexpr std::uint32_t kBase44100Hz = 44100;
constexpr std::uint32_t kBase48000Hz = 48000;

bool valid_bits(std::uint8_t bits) {
  return bits == 16 || bits == 24 || bits == 32;
}

bool valid_channels(std::uint8_t channels) {
  return channels >= 1 && channels <= kScreamMaxChannels;
}

}  // namespace

bool is_valid_format(const StreamFormat& format) {
  return valid_bits(format.bits) && valid_channels(format.channels) &&
         encode_rate_byte(format.rate_hz).has_value();
}

std::optional<std::uint32_t> decode_rate_byte(std::uint8_t byte) {
  const std::uint32_t multiplier = byte & kMultiplierMask;
  if (multiplier == 0) return std::nullopt;
  return ((byte & kRateBase44100) != 0 ? kBase44100Hz : kBase48000Hz) * multiplier;
}

std::optional<std::uint8_t> encode_rate_byte(std::uint32_t rate_hz) {
  // The driver's rule: a multiple of 44100 uses that base, anything else the 48000 base. No
  // rate is a multiple of both within 7 bits of multiplier (that takes 160 x 44100).
  if (rate_hz == 0) return std::nullopt;
  const bool base44100 = rate_hz % kBase44100Hz == 0;
  const std::uint32_t base = base44100 ? kBase44100Hz : kBase48000Hz;
  if (rate_hz % base != 0 || rate_hz / base > kMultiplierMask) return std::nullopt;
  return static_cast<std::uint8_t>((base44100 ? kRateBase44100 : 0) | (rate_hz / base));
}

std::string_view drop_reason_name(ScreamDrop reason) {
  switch (reason) {
    case ScreamDrop::kTooShort:
      return "shorter than the 5-byte header";
    case ScreamDrop::kTooLong:
      return "longer than 1157 bytes";
    case ScreamDrop::kBadRate:
      return "rate multiplier 0";
    case ScreamDrop::kBadBits:
      return "bits per sample not 16, 24 or 32";
    case ScreamDrop::kBadChannels:
      return "channels not 1 to 8";
    case ScreamDrop::kEmptyPayload:
      return "no PCM after the header";
    case ScreamDrop::kPartialFrame:
      return "short payload with a partial frame";
    case ScreamDrop::kCount:
      break;
  }
  return "unknown";
}

Error to_error(ScreamDrop reason) {
  return Error{ErrorCode::kProtocol,
               std::string("scream: ") + std::string(drop_reason_name(reason)), 0};
}

tl::expected<StreamFormat, ScreamDrop> parse_header(
    std::span<const std::byte, kScreamHeaderBytes> header) {
  const auto u8 = [&](std::size_t i) { return std::to_integer<std::uint8_t>(header[i]); };
  const auto rate_hz = decode_rate_byte(u8(0));
  if (!rate_hz) return tl::unexpected(ScreamDrop::kBadRate);
  if (!valid_bits(u8(1))) return tl::unexpected(ScreamDrop::kBadBits);
  if (!valid_channels(u8(2))) return tl::unexpected(ScreamDrop::kBadChannels);
  return StreamFormat{*rate_hz, u8(1), u8(2), static_cast<std::uint16_t>(u8(3) | (u8(4) << 8))};
}

std::optional<ScreamHeaderBytes> encode_header(const StreamFormat& format) {
  const auto rate = encode_rate_byte(format.rate_hz);
  if (!rate || !valid_bits(format.bits) || !valid_channels(format.channels)) return std::nullopt;
  return ScreamHeaderBytes{std::byte{*rate}, std::byte{format.bits}, std::byte{format.channels},
                           static_cast<std::byte>(format.channel_mask & 0xff),
                           static_cast<std::byte>(format.channel_mask >> 8)};
}

tl::expected<ScreamPacket, ScreamDrop> parse_udp_packet(std::span<const std::byte> datagram) {
  if (datagram.size() < kScreamHeaderBytes) return tl::unexpected(ScreamDrop::kTooShort);
  if (datagram.size() > kScreamPacketBytes) return tl::unexpected(ScreamDrop::kTooLong);
  const auto format = parse_header(datagram.first<kScreamHeaderBytes>());
  if (!format) return tl::unexpected(format.error());
  const auto pcm = datagram.subspan(kScreamHeaderBytes);
  // A full datagram is exactly what the driver sends, whatever the frame size; anything
  // shorter (another sender) must carry whole frames, or we could not tell where they start.
  if (pcm.size() != kScreamPayloadBytes) {
    if (pcm.empty()) return tl::unexpected(ScreamDrop::kEmptyPayload);
    if (pcm.size() % format->bytes_per_frame() != 0) {
      return tl::unexpected(ScreamDrop::kPartialFrame);
    }
  }
  return ScreamPacket{*format, pcm};
}

}  // namespace periscope::audio
