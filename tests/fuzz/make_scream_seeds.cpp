// Writes the seed inputs of scream_fuzz (the format is in scream_harness.hpp) into a directory:
//   make_scream_seeds tests/fuzz/corpus/scream
// The committed corpus/scream holds its output; rerun it when the input format changes.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "audio/scream_format.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

class Builder {
 public:
  explicit Builder(std::uint8_t mode) { u8(mode); }
  Builder& u8(std::uint32_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Builder& u16(std::uint32_t v) { return u8(v).u8(v >> 8); }
  Builder& u32(std::uint32_t v) { return u16(v).u16(v >> 16); }
  // A datagram: header then `payload` bytes of a counting pattern.
  Builder& datagram(std::uint8_t rate, std::uint8_t bits, std::uint8_t channels,
                    std::size_t payload) {
    u16(static_cast<std::uint32_t>(5 + payload));
    u8(rate).u8(bits).u8(channels).u8(0x3f).u8(0);
    for (std::size_t i = 0; i < payload; ++i) u8(static_cast<std::uint32_t>(i * 37));
    return *this;
  }
  [[nodiscard]] const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

constexpr std::uint8_t kUdp = 0;
constexpr std::uint8_t kIvshmem = 1;
enum Op : std::uint8_t { kPoll, kSetField, kWrite, kStart, kWritePcm, kStop };

Bytes udp_stream() {
  Builder b(kUdp);
  for (int i = 0; i < 6; ++i) b.datagram(0x01, 16, 2, 1152);
  return b.bytes();
}

Bytes udp_formats() {
  Builder b(kUdp);
  b.datagram(0x81, 24, 5, 1152).datagram(0x81, 24, 5, 1152).datagram(0x02, 32, 8, 1152);
  b.datagram(0x04, 16, 1, 1152).datagram(0x01, 24, 6, 36);
  return b.bytes();
}

Bytes udp_malformed() {
  Builder b(kUdp);
  b.datagram(0x00, 16, 2, 1152).datagram(0x01, 20, 2, 1152).datagram(0x01, 16, 9, 1152);
  b.datagram(0x01, 16, 2, 1151).datagram(0x01, 16, 2, 0).datagram(0x01, 16, 2, 1153);
  b.u16(4).u32(0x01021001);
  return b.bytes();
}

Bytes ivshmem_stream() {
  Builder b(kIvshmem);
  b.u16(1023);  // 64 KiB
  b.u8(kPoll).u8(kStart).u8(0x01).u8(16).u8(2).u8(kPoll);
  for (int i = 0; i < 6; ++i) b.u8(kWritePcm).u16(3840).u8(kPoll);
  b.u8(kStop).u8(kPoll).u8(kStart).u8(0x81).u8(24).u8(2).u8(kWritePcm).u16(5292).u8(kPoll);
  return b.bytes();
}

Bytes ivshmem_hostile() {
  Builder b(kIvshmem);
  b.u16(239);  // 240 x 64 = 15360 bytes: 4 chunks of 3840 by the driver's count, the last
               // running 24 bytes past the end
  b.u8(kStart).u8(0x01).u8(16).u8(2).u8(kPoll).u8(kWritePcm).u16(7680).u8(kPoll);
  b.u8(kSetField).u8(1).u32(0xffff).u8(kPoll);      // write index past the count
  b.u8(kSetField).u8(1).u32(2).u8(kPoll);           // back in range
  b.u8(kSetField).u8(4).u32(0xfffffff0).u8(kPoll);  // giant chunks
  b.u8(kSetField).u8(4).u32(3840).u8(kSetField).u8(3).u32(0).u8(kPoll);  // no chunks
  b.u8(kSetField).u8(3).u32(4).u8(kSetField).u8(2).u32(0).u8(kPoll);     // chunk 0 at 0
  b.u8(kSetField).u8(0).u32(0).u8(kPoll);                                // stopped
  b.u8(kWrite).u16(0).u8(3).u32(0x11112014).u8(kPoll);
  return b.bytes();
}

struct Seed {
  const char* name;
  Bytes (*make)();
};

constexpr Seed kSeeds[] = {
    {"udp_stream", udp_stream},           {"udp_formats", udp_formats},
    {"udp_malformed", udp_malformed},     {"ivshmem_stream", ivshmem_stream},
    {"ivshmem_hostile", ivshmem_hostile},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& seed : kSeeds) {
    const auto bytes = seed.make();
    std::ofstream out(dir / (std::string("seed_") + seed.name), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_scream_seeds: cannot write %s\n", seed.name);
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", std::size(kSeeds), dir.c_str());
  return 0;
}
