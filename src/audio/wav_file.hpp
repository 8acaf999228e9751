#pragma once
// WAV files: what `periscope audio --sink file:` records and `periscope audio-send --wav`
// plays. Integer PCM of 16, 24 or 32 bits (what Scream carries), little-endian, interleaved.
// A file someone hands us is untrusted: every chunk size is checked against the file.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "audio/scream_format.hpp"
#include "common/result.hpp"

namespace periscope::audio {

struct WavData {
  StreamFormat format;         // rate, bits, channels (channel_mask: the usual one for them)
  std::vector<std::byte> pcm;  // whole frames
};

// Reads a whole PCM WAV file (RIFF/WAVE with "fmt " of format 1 or WAVE_FORMAT_EXTENSIBLE with
// the PCM subtype, 16/24/32 bits, 1..8 channels, a rate Scream can carry).
Result<WavData> read_wav(const std::string& path);

// The channel mask Windows uses for `channels` (stereo: FL FR, 5.1: FL FR FC LFE BL BR, ...).
std::uint16_t default_channel_mask(std::uint8_t channels);

// Writes PCM as it comes and fixes the sizes at close(); the file appears under its name only
// when closed (written as PATH.tmp, then renamed), so a half-written file is never mistaken
// for a recording. A format change starts nothing new: the recorder keeps the first format
// and counts the frames it could not write.
class WavWriter {
 public:
  static Result<WavWriter> create(const std::string& path, const StreamFormat& format);
  WavWriter(WavWriter&&) noexcept = default;
  WavWriter& operator=(WavWriter&&) noexcept = default;
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;
  ~WavWriter();

  Status write(std::span<const std::byte> pcm);
  Status close();
  [[nodiscard]] const StreamFormat& format() const { return format_; }
  [[nodiscard]] std::uint64_t data_bytes() const { return data_bytes_; }

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  WavWriter(std::string path, StreamFormat format, std::unique_ptr<std::FILE, FileCloser> file)
      : path_(std::move(path)), format_(format), file_(std::move(file)) {}

  std::string path_;
  StreamFormat format_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::uint64_t data_bytes_{0};
};

}  // namespace periscope::audio
