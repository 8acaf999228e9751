#include "scream_harness.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "audio/frame_assembler.hpp"
#include "audio/jitter_buffer.hpp"
#include "audio/pcm.hpp"
#include "audio/scream_format.hpp"
#include "audio/scream_ivshmem.hpp"
#include "fuzz_input.hpp"

namespace periscope::fuzz {

namespace {

using audio::StreamFormat;

template <typename... Args>
[[noreturn]] void broken(fmt::format_string<Args...> format, Args&&... args) {
  std::fprintf(stderr, "scream_fuzz: invariant broken: %s\n",
               fmt::format(format, std::forward<Args>(args)...).c_str());
  std::fflush(stderr);
  std::abort();
}

#define SCREAM_CHECK(cond, ...)       \
  do {                                \
    if (!(cond)) broken(__VA_ARGS__); \
  } while (false)

constexpr std::size_t kMaxRegionBytes = 1024 * 64;
constexpr std::size_t kPageBytes = 4096;
constexpr std::uint32_t kMaxChunksPerPoll = 4;

// The region lies at the very end of a mapping followed by an inaccessible page, so a read one
// byte past it faults in every build, sanitised or not.
std::byte* region_arena() {
  static std::byte* arena = [] {
    void* p = ::mmap(nullptr, kMaxRegionBytes + kPageBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) broken("mmap failed");
    auto* base = static_cast<std::byte*>(p);
    if (::mprotect(base + kMaxRegionBytes, kPageBytes, PROT_NONE) != 0) broken("mprotect failed");
    return base;
  }();
  return arena;
}

void check_pcm_round_trip(const StreamFormat& format, std::span<const std::byte> pcm) {
  if (format.bits == 32) return;  // 32-bit keeps only 24 bits by design
  static std::vector<float> samples(1152);
  static std::vector<std::byte> back(1152);
  const std::size_t count = audio::decode_pcm(format.bits, pcm, samples);
  const std::size_t bytes = audio::encode_pcm(format.bits, std::span(samples).first(count), back);
  SCREAM_CHECK(bytes == count * format.bytes_per_sample(), "encode wrote {} bytes for {} samples",
               bytes, count);
  SCREAM_CHECK(
      std::equal(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(bytes), pcm.begin()),
      "{}-bit PCM did not survive decode -> encode", format.bits);
}

void check_output(std::span<const float> out) {
  for (const float v : out) {
    SCREAM_CHECK(std::isfinite(v) && std::abs(v) <= 2.0F, "output sample {}", v);
  }
}

void run_udp(ByteReader& in) {
  audio::FrameAssembler assembler;
  audio::JitterBuffer jb(
      audio::JitterBufferOptions{.max_block_frames = 256, .target_latency = Milliseconds(5)});
  std::array<float, 128 * 2> out{};
  std::int64_t now_us = 0;
  for (std::size_t n = 0; !in.empty() && n < 256; ++n) {
    const std::size_t length = in.u16() % 1200;
    const auto raw = in.bytes(length);
    const std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(raw.data()),
                                              raw.size());
    const auto packet = audio::parse_udp_packet(datagram);
    if (!packet) {
      const auto reason = packet.error();
      SCREAM_CHECK(reason < audio::ScreamDrop::kCount, "drop reason {}", static_cast<int>(reason));
      SCREAM_CHECK((reason == audio::ScreamDrop::kTooShort) == (datagram.size() < 5),
                   "kTooShort for {} bytes", datagram.size());
      SCREAM_CHECK((reason == audio::ScreamDrop::kTooLong) == (datagram.size() > 1157),
                   "kTooLong for {} bytes", datagram.size());
    } else {
      const StreamFormat& f = packet->format;
      SCREAM_CHECK(audio::is_valid_format(f), "accepted an invalid format");
      SCREAM_CHECK(
          packet->pcm.data() == datagram.data() + 5 && packet->pcm.size() == datagram.size() - 5,
          "pcm is not the payload");
      SCREAM_CHECK(
          !packet->pcm.empty() &&
              (packet->pcm.size() == 1152 || packet->pcm.size() % f.bytes_per_frame() == 0),
          "accepted {} payload bytes of {}-byte frames", packet->pcm.size(), f.bytes_per_frame());
      const auto header = audio::encode_header(f);
      SCREAM_CHECK(header && std::equal(header->begin(), header->end(), datagram.begin()),
                   "the header does not encode back to its bytes");
      const auto frames = assembler.push(f, packet->pcm);
      for (const auto part : {frames.joined, frames.whole}) {
        SCREAM_CHECK(part.size() % f.bytes_per_frame() == 0, "assembler gave a partial frame");
        check_pcm_round_trip(f, part);
        jb.push(f, part, Nanoseconds(now_us * 1000));
      }
    }
    now_us += 2000 + 1000 * static_cast<std::int64_t>(n % 5);
    jb.render(out, Nanoseconds(now_us * 1000));
    check_output(out);
  }
}

class CheckingSink : public audio::ScreamChunkSink {
 public:
  void on_chunk(const StreamFormat& format, std::span<const std::byte> pcm) override {
    SCREAM_CHECK(audio::is_valid_format(format), "chunk of an invalid format");
    SCREAM_CHECK(!pcm.empty() && pcm.size() % format.bytes_per_frame() == 0,
                 "chunk of {} bytes, {}-byte frames", pcm.size(), format.bytes_per_frame());
    SCREAM_CHECK(pcm.data() < region_begin || pcm.data() >= region_end,
                 "chunk handed out inside the guest's memory");
    SCREAM_CHECK(++in_this_poll <= kMaxChunksPerPoll, "more than {} chunks in one poll",
                 kMaxChunksPerPoll);
    // Touch every byte (a sanitiser sees any read of freed or foreign memory).
    std::uint32_t sum = 0;
    for (const auto b : pcm) sum += std::to_integer<std::uint32_t>(b);
    sink_ += sum;
  }
  const std::byte* region_begin{nullptr};
  const std::byte* region_end{nullptr};
  std::uint32_t in_this_poll{0};

 private:
  std::uint32_t sink_{0};
};

void run_ivshmem(ByteReader& in) {
  const std::size_t size = (1 + std::size_t{in.u16()} % 1024) * 64;
  std::byte* base = region_arena() + (kMaxRegionBytes - size);
  std::memset(base, 0, size);
  const SharedRegion region(base, size);
  audio::ScreamIvshmemReader reader(region, {.max_chunks_per_poll = kMaxChunksPerPoll});
  std::optional<audio::ScreamIvshmemWriter> writer;
  CheckingSink sink;
  sink.region_begin = base;
  sink.region_end = base + size;
  std::vector<std::byte> pcm;
  const auto poll = [&] {
    sink.in_this_poll = 0;
    const auto result = reader.poll(sink);
    SCREAM_CHECK(result.chunks == sink.in_this_poll, "poll reports {} chunks, {} delivered",
                 result.chunks, sink.in_this_poll);
    SCREAM_CHECK((result.state == audio::IvshmemState::kStreaming) ==
                     (result.fault == audio::IvshmemFault::kNone),
                 "state and fault disagree");
  };
  constexpr std::size_t kFieldOffsets[] = {0, 4, 6, 8, 12, 16, 17, 18, 20};
  constexpr std::size_t kFieldBytes[] = {4, 2, 1, 2, 4, 1, 1, 1, 2};
  for (std::size_t n = 0; !in.empty() && n < 512; ++n) {
    switch (in.u8() % 6) {
      case 0:
        poll();
        break;
      case 1: {
        const std::size_t field = in.u8() % 9;
        const std::uint32_t value = in.u32();
        std::memcpy(base + kFieldOffsets[field], &value, kFieldBytes[field]);  // little-endian
        break;
      }
      case 2: {
        const std::size_t offset = in.u16() % size;
        const auto bytes = in.bytes(1 + in.u8() % 64);
        std::memcpy(base + offset, bytes.data(), std::min(bytes.size(), size - offset));
        break;
      }
      case 3: {
        const auto rate = audio::decode_rate_byte(in.u8());
        const std::uint8_t bits = in.u8();
        const std::uint8_t channels = in.u8();
        if (!rate) break;
        auto started =
            audio::ScreamIvshmemWriter::start(region, StreamFormat{*rate, bits, channels, 3});
        if (started) writer.emplace(std::move(*started));
        break;
      }
      case 4: {
        pcm.assign(in.u16(), std::byte{0x11});
        if (writer) writer->write(pcm);
        break;
      }
      default:
        if (writer) writer->stop();
        break;
    }
  }
  poll();
}

}  // namespace

void run_scream_input(const std::uint8_t* data, std::size_t size) {
  ByteReader in(data, size);
  if (in.u8() % 2 == 0) {
    run_udp(in);
  } else {
    run_ivshmem(in);
  }
}

}  // namespace periscope::fuzz
