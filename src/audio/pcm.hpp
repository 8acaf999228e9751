#pragma once
// Interleaved little-endian signed PCM <-> float samples in [-1, 1).
// 16 and 24 bit survive decode -> encode bit for bit (a float holds 24 bits exactly); 32-bit
// samples keep their top 24 bits. Byte access only: the input may be unaligned untrusted bytes.
#include <cstddef>
#include <cstdint>
#include <span>

namespace periscope::audio {

// Bytes per sample for 16, 24 or 32 bits; 0 for anything else.
[[nodiscard]] std::size_t pcm_sample_bytes(std::uint8_t bits);

// Decodes min(pcm.size() / sample bytes, out.size()) samples; returns how many.
std::size_t decode_pcm(std::uint8_t bits, std::span<const std::byte> pcm, std::span<float> out);

// Encodes min(samples.size(), out.size() / sample bytes) samples, rounding to nearest and
// clipping to full scale (NaN becomes 0); returns the bytes written.
std::size_t encode_pcm(std::uint8_t bits, std::span<const float> samples, std::span<std::byte> out);

}  // namespace periscope::audio
