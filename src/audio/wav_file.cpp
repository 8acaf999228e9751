#include "audio/wav_file.hpp"

#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace periscope::audio {

namespace {

constexpr std::uint64_t kMaxWavBytes = 2ULL << 30;  // 2 GiB: hours of audio, and a sane bound
constexpr std::size_t kHeaderBytes = 44;

std::uint32_t le32(const std::byte* p) {
  return std::to_integer<std::uint32_t>(p[0]) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
         (std::to_integer<std::uint32_t>(p[2]) << 16) |
         (std::to_integer<std::uint32_t>(p[3]) << 24);
}

std::uint16_t le16(const std::byte* p) {
  return static_cast<std::uint16_t>(std::to_integer<std::uint32_t>(p[0]) |
                                    (std::to_integer<std::uint32_t>(p[1]) << 8));
}

void put32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::byte(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put16(std::byte* p, std::uint16_t v) {
  p[0] = std::byte(static_cast<std::uint8_t>(v));
  p[1] = std::byte(static_cast<std::uint8_t>(v >> 8));
}

bool tag(const std::byte* p, const char* four) {
  return std::memcmp(p, four, 4) == 0;
}

std::array<std::byte, kHeaderBytes> header_for(const StreamFormat& f, std::uint64_t data_bytes) {
  std::array<std::byte, kHeaderBytes> h{};
  const auto data = static_cast<std::uint32_t>(std::min<std::uint64_t>(data_bytes, 0xFFFFFFF0U));
  std::memcpy(h.data(), "RIFF", 4);
  put32(h.data() + 4, 36 + data);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put32(h.data() + 16, 16);
  put16(h.data() + 20, 1);  // PCM
  put16(h.data() + 22, f.channels);
  put32(h.data() + 24, f.rate_hz);
  put32(h.data() + 28, f.rate_hz * f.bytes_per_frame());
  put16(h.data() + 32, static_cast<std::uint16_t>(f.bytes_per_frame()));
  put16(h.data() + 34, f.bits);
  std::memcpy(h.data() + 36, "data", 4);
  put32(h.data() + 40, data);
  return h;
}

}  // namespace

std::uint16_t default_channel_mask(std::uint8_t channels) {
  switch (channels) {
    case 1:
      return 0x4;  // FC
    case 2:
      return 0x3;  // FL FR
    case 4:
      return 0x33;  // FL FR BL BR
    case 6:
      return 0x3F;  // FL FR FC LFE BL BR
    case 8:
      return 0x63F;  // 7.1: + SL SR
    default:
      return static_cast<std::uint16_t>((1U << channels) - 1U);
  }
}

Result<WavData> read_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, "{}: cannot open", path);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  if (size > kMaxWavBytes) return fail(ErrorCode::kTooSmall, "{}: larger than 2 GiB", path);
  in.seekg(0);
  std::vector<std::byte> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (!in) return fail(ErrorCode::kIo, "{}: read failed", path);
  if (size < 12 || !tag(bytes.data(), "RIFF") || !tag(bytes.data() + 8, "WAVE")) {
    return fail(ErrorCode::kProtocol, "{}: not a RIFF/WAVE file", path);
  }
  std::optional<StreamFormat> format;
  std::optional<std::span<const std::byte>> data;
  std::uint64_t at = 12;
  while (at + 8 <= size) {
    const std::uint32_t chunk = le32(bytes.data() + at + 4);
    const std::uint64_t body = at + 8;
    if (chunk > size - body) {
      return fail(ErrorCode::kProtocol, "{}: chunk at offset {} claims {} bytes past the end", path,
                  at, chunk);
    }
    if (tag(bytes.data() + at, "fmt ")) {
      if (chunk < 16) return fail(ErrorCode::kProtocol, "{}: fmt chunk of {} bytes", path, chunk);
      const std::byte* f = bytes.data() + body;
      std::uint16_t tag_value = le16(f);
      if (tag_value == 0xFFFE && chunk >= 40) tag_value = le16(f + 24);  // extensible: subtype
      if (tag_value != 1) {
        return fail(ErrorCode::kUnsupported, "{}: format tag {:#x}, only integer PCM is supported",
                    path, tag_value);
      }
      StreamFormat sf;
      sf.channels = static_cast<std::uint8_t>(std::min<std::uint16_t>(le16(f + 2), 255));
      sf.rate_hz = le32(f + 4);
      sf.bits = static_cast<std::uint8_t>(std::min<std::uint16_t>(le16(f + 14), 255));
      sf.channel_mask = default_channel_mask(sf.channels);
      if (!encode_header(sf)) {
        return fail(ErrorCode::kUnsupported,
                    "{}: {} Hz, {} bits, {} channels is not something Scream can carry", path,
                    sf.rate_hz, sf.bits, sf.channels);
      }
      format = sf;
    } else if (tag(bytes.data() + at, "data")) {
      data = std::span<const std::byte>(bytes.data() + body, chunk);
    }
    at = body + chunk + (chunk & 1U);  // chunks are padded to even sizes
  }
  if (!format) return fail(ErrorCode::kProtocol, "{}: no fmt chunk", path);
  if (!data) return fail(ErrorCode::kProtocol, "{}: no data chunk", path);
  const std::size_t whole = data->size() - data->size() % format->bytes_per_frame();
  return WavData{*format, std::vector<std::byte>(
                              data->begin(), data->begin() + static_cast<std::ptrdiff_t>(whole))};
}

Result<WavWriter> WavWriter::create(const std::string& path, const StreamFormat& format) {
  if (!encode_header(format)) return fail(ErrorCode::kInvalidArgument, "not a Scream format");
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen((path + ".tmp").c_str(), "wb"));
  if (!file) return fail_errno(errno, fmt::format("create {}.tmp", path));
  const auto header = header_for(format, 0);
  if (std::fwrite(header.data(), 1, header.size(), file.get()) != header.size()) {
    return fail_errno(errno, fmt::format("write {}.tmp", path));
  }
  return WavWriter(path, format, std::move(file));
}

WavWriter::~WavWriter() {
  if (file_) (void)close();
}

Status WavWriter::write(std::span<const std::byte> pcm) {
  if (!file_) return fail(ErrorCode::kInvalidArgument, "{} is closed", path_);
  if (data_bytes_ + pcm.size() > kMaxWavBytes) {
    return fail(ErrorCode::kTooSmall, "{}: a WAV file holds at most 2 GiB", path_);
  }
  if (std::fwrite(pcm.data(), 1, pcm.size(), file_.get()) != pcm.size()) {
    return fail_errno(errno, fmt::format("write {}.tmp", path_));
  }
  data_bytes_ += pcm.size();
  return {};
}

Status WavWriter::close() {
  if (!file_) return {};
  const auto header = header_for(format_, data_bytes_);
  const bool ok = std::fseek(file_.get(), 0, SEEK_SET) == 0 &&
                  std::fwrite(header.data(), 1, header.size(), file_.get()) == header.size() &&
                  std::fflush(file_.get()) == 0 && ::fsync(::fileno(file_.get())) == 0;
  file_.reset();
  if (!ok) return fail_errno(errno, fmt::format("finish {}.tmp", path_));
  if (std::rename((path_ + ".tmp").c_str(), path_.c_str()) != 0) {
    return fail_errno(errno, fmt::format("rename {}.tmp to {}", path_, path_));
  }
  return {};
}

}  // namespace periscope::audio
