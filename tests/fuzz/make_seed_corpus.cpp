// Writes the consumer_fuzz seed corpus into the directory given as argv[1]: one input per
// situation the fuzzer should start from (see fuzz_input.hpp for the format). The committed
// corpus under corpus/consumer holds the same seeds plus regression inputs.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "relay/kvmfr_udata.hpp"
#include "relay/layout.hpp"
#include "relay/lgmp_host.hpp"

namespace periscope::fuzz {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ---- structured seeds: our producer's session plus guest operations ----

Bytes plain_frames() {
  InputBuilder b(0);
  for (int type = 0; type < 6; ++type) {
    b.frame(static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(17 + type * 9),
            static_cast<std::uint8_t>(5 + type))
        .poll();
  }
  b.frame(0x08, 40, 30).poll();                                // rotated
  b.frame(0xe0 | 3, 16, 16).poll();                            // every flag, RGBA16F
  b.frame(0x10, 50, 20).poll();                                // a larger screen
  b.op(Op::kFrame).u8(0).u8(95).u8(0xff).u8(0).poll().poll();  // taller than a slot: truncated
  b.op(Op::kTick).frame(0, 64, 32).poll();
  return b.bytes();
}

Bytes damage_frames() {
  InputBuilder b(0);
  const std::array<std::uint8_t, 12> rects = {0, 0, 4, 4, 10, 10, 200, 200, 63, 31, 1, 1};
  const std::array<std::uint8_t, 8> zero = {5, 5, 0, 3, 250, 2, 10, 10};  // empty, off-frame
  b.frame(0, 64, 32).poll().frame(0, 64, 32, rects).poll().frame(0, 64, 32, zero).poll();
  b.frame(4, 30, 20).poll().frame(4, 30, 20, rects).poll();  // packed 24-bit: x scales by 3/4
  b.frame(0, 64, 32).poll();
  b.op(Op::kFrame).u8(0).u8(63).u8(31).u8(0x80).poll();  // 65 rects: "everything changed"
  return b.bytes();
}

Bytes cursor_shapes() {
  InputBuilder b(kBaselineNoCursor);
  b.cursor(0x07, 32, 32).poll();           // colour, visible, with position
  b.cursor(0x0f, 32, 64).poll();           // monochrome (height counts both masks)
  b.cursor(0x17 | 0x20, 7, 9).poll();      // masked colour, padded pitch
  b.cursor(0x02, 1, 1, -100, 100).poll();  // position only, hidden
  for (int i = 0; i < 12; ++i) b.cursor(0x03, 1, 1, static_cast<std::int8_t>(i), 3);
  b.poll().poll().poll();  // a flood: several polls to drain it
  return b.bytes();
}

Bytes repost() {
  InputBuilder b(0);
  // A consumer (re)starts a session on its second heartbeat: probe, beat, start.
  b.op(Op::kRepost).poll();
  b.op(Op::kStop).poll().poll().poll().op(Op::kTick).poll().poll();
  b.op(Op::kRecreate).poll().poll().poll().op(Op::kTick).poll();
  b.poll(63 | kPollNoHeartbeat).poll(63 | kPollNoHeartbeat);  // heartbeat lost: restart
  b.poll().poll().poll().op(Op::kTick).poll();
  b.set(Target::kHeader, HeaderField::kMagic, Special::kZero)
      .poll()
      .op(Op::kTick)
      .poll()
      .poll()
      .poll();
  b.op(Op::kTick).frame(0, 64, 32).poll();
  return b.bytes();
}

Bytes header_corruption() {
  InputBuilder b(0);
  b.set(Target::kHeader, HeaderField::kVersion, Special::kSeven).poll().poll();
  b.set(Target::kHeader, HeaderField::kVersion, Special::kFour)
      .add(Target::kHeader, HeaderField::kVersion, 2);
  b.add(Target::kHeader, HeaderField::kSessionId, 1).poll().poll().poll().poll();
  b.set(Target::kHeader, HeaderField::kUdataSize, Special::kU32Max).poll().poll();
  b.set(Target::kHeader, HeaderField::kUdataSize, Special::k65536).poll().poll();
  b.op(Op::kTick).poll().poll().poll();  // the producer re-initialises
  b.set(Target::kHeader, HeaderField::kNumQueues, Special::kZero)
      .op(Op::kStop)
      .poll()
      .poll()
      .poll();
  b.set(Target::kHeader, HeaderField::kNumQueues, Special::k255).op(Op::kStop).poll().poll().poll();
  b.set(Target::kUdata, UdataField::kRecord0Size, Special::kU32Max)
      .op(Op::kTick)
      .poll()
      .poll()
      .poll();
  return b.bytes();
}

Bytes queue_corruption() {
  InputBuilder b(0);
  b.set(Target::kQueue1, QueueField::kLock, Special::kOne).op(Op::kStop).poll().poll().poll();
  b.set(Target::kQueue1, QueueField::kLock, Special::kZero).poll();
  b.set(Target::kQueue1, QueueField::kPosition, Special::k65).poll();
  b.set(Target::kQueue1, QueueField::kPosition, Special::kZero).poll();
  b.set(Target::kQueue0, QueueField::kNumMessages, Special::k4096)
      .op(Op::kStop)
      .poll()
      .poll()
      .poll();
  b.set(Target::kQueue0, QueueField::kMessagesOffset, Special::kRegionSizeMinus8).poll().poll();
  b.set(Target::kQueue1, QueueField::kSubsOn, Special::kU32Max).op(Op::kStop).poll().poll().poll();
  b.set(Target::kQueue1, QueueField::kSubsBad, Special::kU32Max).poll().poll();
  b.set(Target::kQueue1, QueueField::kQueueId, Special::kOne).op(Op::kStop).poll().poll().poll();
  b.op(Op::kTick).poll().poll().poll().frame(0, 64, 32).poll();
  return b.bytes();
}

Bytes huge_damage_count() {
  InputBuilder b(0);
  const std::array<std::uint8_t, 4> rect = {1, 1, 2, 2};
  b.frame(0, 64, 32, rect).set(Target::kLatestFrame, FrameField::kDamageCount, Special::kU32Max);
  b.poll();
  b.frame(0, 64, 32, rect).set(Target::kLatestFrame, FrameField::kDamageCount, Special::k64);
  b.set(Target::kLatestFrame, FrameField::kRect63X, Special::kU32MaxMinus3);
  b.set(Target::kLatestFrame, FrameField::kRect63W, Special::kU32Max).poll();
  b.frame(0, 64, 32, rect).set(Target::kLatestFrame, FrameField::kDamageCount, Special::k65);
  b.poll();
  b.frame(4, 64, 32, rect).set(Target::kLatestFrame, FrameField::kRect0X, Special::k63);
  b.set(Target::kLatestFrame, FrameField::kRect0W, Special::kI32Max).poll();
  return b.bytes();
}

Bytes offsets_past_end() {
  InputBuilder b(0);
  b.frame(0, 64, 32)
      .set(Target::kLastFrameRecord, RecordField::kOffset, Special::kRegionSizeMinus4)
      .poll();
  b.frame(0, 64, 32)
      .set(Target::kLastFrameRecord, RecordField::kOffset, Special::kRegionSizeMinus1084)
      .poll();
  b.frame(0, 64, 32).set(Target::kLastFrameRecord, RecordField::kOffset, Special::kU32Max).poll();
  b.frame(0, 64, 32).set(Target::kLastFrameRecord, RecordField::kSize, Special::kOne).poll();
  b.frame(0, 64, 32).set(Target::kLatestFrame, FrameField::kOffset, Special::kU32MaxMinus3).poll();
  b.frame(0, 64, 32).set(Target::kLatestFrame, FrameField::kOffset, Special::kOne).poll();
  b.frame(0, 64, 32).set(Target::kLatestFrame, FrameField::kDataHeight, Special::k16384);
  b.set(Target::kLatestFrame, FrameField::kFrameHeight, Special::k16384).poll();
  b.frame(0, 64, 32).set(Target::kLatestFrame, FrameField::kPitch, Special::kI32Max).poll();
  b.cursor(0x07, 8, 8)
      .set(Target::kLastPointerRecord, RecordField::kOffset, Special::kRegionSizeMinus8)
      .poll();
  b.cursor(0x07, 8, 8).set(Target::kLatestCursor, CursorField::kHeight, Special::k1024);
  b.set(Target::kLatestCursor, CursorField::kPitch, Special::kI32Min).poll();
  b.cursor(0x07, 8, 8).set(Target::kLastPointerRecord, RecordField::kSize, Special::kU32Max);
  b.set(Target::kLatestCursor, CursorField::kWidth, Special::k512);
  b.set(Target::kLatestCursor, CursorField::kHeight, Special::k512).poll();
  b.op(Op::kPostRaw)
      .u8(1)
      .u8(0)
      .u8(static_cast<std::uint8_t>(Special::kRegionSizeMinus1084))
      .u8(static_cast<std::uint8_t>(Special::k4096))
      .poll();
  b.op(Op::kPostRaw)
      .u8(0)
      .u8(4)
      .u8(static_cast<std::uint8_t>(Special::kRegionSizeMinus8))
      .u8(static_cast<std::uint8_t>(Special::kU32Max))
      .poll();
  return b.bytes();
}

Bytes wp_stall() {
  InputBuilder b(0);
  b.frame(0, 64, 32).set(Target::kLatestFrame, FrameField::kWritePointer, Special::kZero).poll();
  b.frame(0, 64, 32).set(Target::kLatestFrame, FrameField::kWritePointer, Special::k4096).poll();
  const std::array<std::uint8_t, 4> rect = {0, 30, 8, 2};
  b.frame(0, 64, 32).poll().frame(0, 64, 32, rect);
  b.set(Target::kLatestFrame, FrameField::kWritePointer, Special::k256).poll();
  return b.bytes();
}

Bytes lagging_consumer() {
  // Frames faster than the consumer reads them: the producer drops one for a busy slot.
  InputBuilder b(0);
  const std::array<std::uint8_t, 4> r1 = {0, 0, 8, 8};
  const std::array<std::uint8_t, 4> r2 = {20, 10, 8, 8};
  const std::array<std::uint8_t, 4> r3 = {40, 20, 8, 8};
  b.frame(0, 64, 32, r1).frame(0, 64, 32, r2).frame(0, 64, 32, r3).poll().poll();
  b.frame(0, 64, 32, r1).poll().poll();
  return b.bytes();
}

Bytes mailbox() {
  InputBuilder b(0);
  for (int i = 0; i < 12; ++i) b.op(Op::kSetCursorPos).u16(static_cast<std::uint32_t>(i)).u16(7);
  b.op(Op::kTick).op(Op::kSetCursorPos).u16(1).u16(2);
  b.set(Target::kQueue0, QueueField::kCMsgWPos, Special::k16).op(Op::kSetCursorPos).u16(1).u16(2);
  b.set(Target::kQueue0, QueueField::kCMsgAvail, Special::k255).op(Op::kSetCursorPos).u16(1).u16(2);
  b.set(Target::kQueue0, QueueField::kCMsgLock, Special::kOne).op(Op::kSetCursorPos).u16(1).u16(2);
  b.op(Op::kTick).poll();
  return b.bytes();
}

Bytes subscriber_timeout() {
  InputBuilder b(0);
  b.frame(0, 64, 32);  // not read yet: still pending for us
  b.set(Target::kQueue1, QueueField::kMsgTimeoutLo, Special::kZero);
  b.set(Target::kQueue1, QueueField::kMsgTimeoutHi, Special::kZero).op(Op::kTick).poll().poll();
  b.set(Target::kQueue0, QueueField::kSubsBad, Special::kOne).poll().poll();
  b.set(Target::kQueue0, QueueField::kTimeout0Hi, Special::kU32Max);
  b.set(Target::kQueue0, QueueField::kSubsBad, Special::kOne).poll().poll();
  return b.bytes();
}

// ---- raw seeds: a whole header image written by the LGMP host ----

struct RawImage {
  std::vector<std::byte> bytes = std::vector<std::byte>(16384);
  std::uint32_t pointer_ring{0};
  std::uint32_t frame_ring{0};
  std::size_t used{0};
};

RawImage raw_image(std::vector<std::byte> udata) {
  RawImage image;
  const SharedRegion region(image.bytes.data(), image.bytes.size());
  auto host = lgmp::Host::create(region,
                                 {{b7::kQueuePointer, b7::kPointerQueueLength, b7::kQueueMaxTimeMs},
                                  {b7::kQueueFrame, b7::kFrameQueueLength, b7::kQueueMaxTimeMs}},
                                 std::move(udata), 1000);
  if (!host) {
    std::fprintf(stderr, "make_seed_corpus: %s\n", host.error().message.c_str());
    std::exit(1);
  }
  auto& h = *reinterpret_cast<b7::LgmpHeader*>(image.bytes.data());
  h.session_id = 0x5eed5eed;  // fixed, so the seeds are the same on every run
  image.pointer_ring = h.queues[0].messages_offset;
  image.frame_ring = h.queues[1].messages_offset;
  image.used = host->allocated_end();
  return image;
}

std::vector<std::byte> kvmfr_udata() {
  b7::KvmfrInfo info;
  info.hostver = "B7";
  info.features = b7::kKvmfrFeatureSetCursorPos;
  info.vm = b7::VmInfo{{1, 2, 3}, "DXGI", 4, 2, 1, "Seed CPU"};
  info.os = b7::OsInfo{b7::OsType::kWindows, "Windows"};
  return b7::build_kvmfr_udata(info);
}

// A header with one frame and one cursor shape waiting at the queues' write positions.
RawImage raw_with_messages(std::vector<std::byte> udata) {
  RawImage image = raw_image(std::move(udata));
  const SharedRegion region(image.bytes.data(), image.bytes.size());
  const auto frame_at = static_cast<std::uint32_t>((image.used + 63) / 64 * 64);
  b7::KvmfrFrame frame{};
  frame.format_ver = 1;
  frame.frame_serial = 1;
  frame.type = static_cast<std::uint32_t>(b7::FrameType::kBgra);
  frame.screen_width = frame.data_width = frame.frame_width = frame.stride = 4;
  frame.screen_height = frame.data_height = frame.frame_height = 4;
  frame.pitch = 16;
  frame.offset = sizeof frame;  // a compact buffer right behind the header
  (void)region.copy_in(frame_at, frame);
  (void)region.copy_in(frame_at + sizeof frame, std::uint32_t{64});  // wp: all written
  const auto cursor_at = static_cast<std::uint32_t>(frame_at + sizeof frame + 4 + 64);
  b7::KvmfrCursor cursor{};
  cursor.x = 5;
  cursor.width = 4;
  cursor.height = 4;
  cursor.pitch = 16;
  (void)region.copy_in(cursor_at, cursor);
  (void)region.copy_in(image.frame_ring, b7::LgmpMessage{0, 4096, frame_at, 0});
  (void)region.copy_in(
      image.pointer_ring,
      b7::LgmpMessage{b7::kCursorFlagShape | b7::kCursorFlagPosition | b7::kCursorFlagVisible,
                      sizeof cursor + 64, cursor_at, 0});
  image.used = cursor_at + sizeof cursor + 64;
  return image;
}

Bytes raw_seed(const RawImage& image, std::uint16_t view_units, std::uint8_t rounds) {
  InputBuilder b(kRawModeFirst);
  b.u16(view_units).u8(rounds);
  const auto* data = reinterpret_cast<const std::uint8_t*>(image.bytes.data());
  b.raw(std::span(data, image.used));
  return b.bytes();
}

Bytes raw_valid() {
  return raw_seed(raw_with_messages(kvmfr_udata()), 0, 3);
}

Bytes raw_small_view() {
  // The view ends (at the guard page) right after the cursor shape.
  const RawImage image = raw_with_messages(kvmfr_udata());
  return raw_seed(image, static_cast<std::uint16_t>((image.used + 63) / 64), 2);
}

Bytes raw_header_only() {
  return raw_seed(raw_image(kvmfr_udata()), sizeof(b7::LgmpHeader) / 64, 1);
}

Bytes raw_udata_strings() {
  // Strings without their NUL, an unknown record, and a record running past udataSize.
  std::vector<std::byte> udata = kvmfr_udata();
  udata.resize(sizeof(b7::KvmfrHeader));
  auto* header = reinterpret_cast<b7::KvmfrHeader*>(udata.data());
  std::memset(header->hostver, 'B', sizeof header->hostver);
  const auto record = [&](std::uint8_t type, std::uint32_t size, std::size_t body, char fill) {
    const b7::KvmfrRecordHeader r{type, {0, 0, 0}, size};
    const auto* p = reinterpret_cast<const std::byte*>(&r);
    udata.insert(udata.end(), p, p + sizeof r);
    udata.insert(udata.end(), body, static_cast<std::byte>(fill));
  };
  record(b7::kRecordVmInfo, 60, 60, 'v');
  record(b7::kRecordOsInfo, 12, 12, 'o');
  record(9, 3, 3, 'u');
  record(b7::kRecordOsInfo, 1000, 4, 'x');
  return raw_seed(raw_with_messages(udata), 0, 2);
}

Bytes raw_bad_versions() {
  RawImage image = raw_with_messages(kvmfr_udata());
  auto& h = *reinterpret_cast<b7::LgmpHeader*>(image.bytes.data());
  h.version = 5;  // B6
  Bytes lgmp = raw_seed(image, 0, 1);
  h.version = b7::kLgmpVersion;
  auto* kvmfr = reinterpret_cast<b7::KvmfrHeader*>(image.bytes.data() + b7::kUdataOffset);
  kvmfr->version = 19;
  const Bytes kvmfr_old = raw_seed(image, 0, 1);
  lgmp.insert(lgmp.end(), kvmfr_old.begin(), kvmfr_old.end());  // a mutation can cut here
  return lgmp;
}

struct Seed {
  const char* name;
  Bytes (*make)();
};

constexpr Seed kSeeds[] = {
    {"plain_frames", plain_frames},
    {"damage_frames", damage_frames},
    {"cursor_shapes", cursor_shapes},
    {"repost", repost},
    {"header_corruption", header_corruption},
    {"queue_corruption", queue_corruption},
    {"huge_damage_count", huge_damage_count},
    {"offsets_past_end", offsets_past_end},
    {"wp_stall", wp_stall},
    {"lagging_consumer", lagging_consumer},
    {"mailbox", mailbox},
    {"subscriber_timeout", subscriber_timeout},
    {"raw_valid", raw_valid},
    {"raw_small_view", raw_small_view},
    {"raw_header_only", raw_header_only},
    {"raw_udata_strings", raw_udata_strings},
    {"raw_bad_versions", raw_bad_versions},
};

}  // namespace
}  // namespace periscope::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  for (const auto& seed : periscope::fuzz::kSeeds) {
    const auto bytes = seed.make();
    std::ofstream out(dir / (std::string("seed_") + seed.name), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_seed_corpus: cannot write %s\n", seed.name);
      return 1;
    }
  }
  std::printf("wrote %zu seeds to %s\n", std::size(periscope::fuzz::kSeeds), dir.c_str());
  return 0;
}
