#pragma once
// The input format of consumer_fuzz, shared by the harness (which decodes it) and the seed
// generator (which encodes it). Every byte string is a valid input: bytes past the end read
// as 0, and every selector is taken modulo its range.
//
// Byte 0 picks the mode.
//
// Raw mode (byte 0 >= kRawModeFirst): for bugs in session start and header parsing.
//   [1..2] u16  view size in 64-byte units (0: the whole region). The consumer's view ends
//               at the guard page, so a read past its end faults.
//   [3]    u8   rounds (1 + n % 8)
//   [4..]       copied over the start of the zeroed view (the LGMP header first).
//   The harness polls, moves the heartbeat, polls (the consumer subscribes), then for each
//   round advances every queue's write position by one (so the record the consumer
//   subscribed at becomes readable), moves the heartbeat and polls.
//
// Structured mode (byte 0 < kRawModeFirst): starts from a valid baseline made by our own
// Producer with a subscribed Consumer that already holds a frame and a cursor shape
// (bit 0 of byte 0: no baseline frames; bit 1: no baseline cursor shape). Then a sequence of
// operations, each an opcode byte (mod Op::kCount) followed by its arguments:
//   kPoll        u8 arg: time += (arg & 63) ms; unless arg & 0x40 move the heartbeat first;
//                poll once if arg & 0x80, else until idle (at most 4 times)
//   kHeartbeat   -
//   kTick        -: the producer's heartbeat (retires messages, re-posts for new subscribers)
//   kFrame       u8 type (1 + (t & 7) % 6; bit 3: rotate 90; bit 4: a larger screen size;
//                bits 5-7: frame flags), u8 width (1 + n % 96), u8 height (1 + n % 64; 0xff:
//                taller than a frame slot, so truncated),
//                u8 damage (n % 8 rects, 0 = full; bit 7: 65 rects = full), then per rect
//                u8 x, y, w, h (in pixels, not clamped: the producer and consumer clamp);
//                a frame that changes the format is sent whole (as a capture source would)
//   kCursor      u8 flags (0x1 visible, 0x2 position, 0x4 shape, bits 3-4 type % 3, 0x20 pad
//                the pitch), u8 width (1 + n % 64), u8 height (1 + n % 64), i8 x, y, hx, hy
//   kWrite       u8 target, offset (u32 for kAbsolute, else u16 % span), u8 n (1 + n % 64),
//                n bytes
//   kSet32       u8 target, field selector, value selector (see below)
//   kPostRaw     u8 queue (n % 5), value selectors for udata, offset, size: writes a record
//                at the queue's write position and advances it, as a guest would
//   kSetCursorPos i16 x, i16 y: the consumer's mailbox message
//   kStop        -: the consumer unsubscribes and waits again
//   kRecreate    -: a new Consumer object (the old one unsubscribes in its destructor)
//   kRepost      -: bump newSubCount on both queues and tick: the producer re-posts
//
// Field selector: f < 0x80 picks entry f % n of the target's field table below; f >= 0x80 is
// followed by a u16 byte offset (mod the target's span, rounded down to 4).
// Value selector: v < Special::kCount is a special value; v < Special::kCount + 64 adds
// (v - Special::kCount - 32) to the current value; anything else is followed by a raw u32.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "relay/layout.hpp"

namespace periscope::fuzz {

inline constexpr std::uint8_t kRawModeFirst = 0xE0;
inline constexpr std::uint8_t kBaselineNoFrames = 0x1;
inline constexpr std::uint8_t kBaselineNoCursor = 0x2;

enum class Op : std::uint8_t {
  kPoll,
  kHeartbeat,
  kTick,
  kFrame,
  kCursor,
  kWrite,
  kSet32,
  kPostRaw,
  kSetCursorPos,
  kStop,
  kRecreate,
  kRepost,
  kCount,
};

inline constexpr std::uint8_t kPollNoHeartbeat = 0x40;
inline constexpr std::uint8_t kPollOnce = 0x80;

enum class Target : std::uint8_t {
  kHeader,
  kQueue0,  // the producer puts the pointer queue here
  kQueue1,  // and the frame queue here
  kQueue2,
  kQueue3,
  kQueue4,
  kUdata,
  kPointerRing,  // the ring at queue 0's current messagesOffset
  kFrameRing,
  kLastPointerRecord,  // the record just before queue 0's write position
  kLastFrameRecord,
  kNextFrameRecord,  // the record at the frame queue's write position
  kFrameSlot0,
  kFrameSlot1,
  kLatestFrame,   // wherever the last frame record points
  kLatestCursor,  // wherever the last pointer record points
  kRegionTail,    // the last 4 KiB of the region
  kAbsolute,
  kCount,
};

// Field tables: byte offsets from the target's base.
enum class HeaderField : std::uint8_t {
  kMagic,
  kVersion,
  kSessionId,
  kTimestampLo,
  kTimestampHi,
  kNumQueues,
  kUdataSize,
  kCount,
};
inline constexpr std::uint32_t kHeaderFields[] = {0, 4, 8, 16, 20, 24, 5752};

enum class QueueField : std::uint8_t {
  kQueueId,
  kNumMessages,
  kNewSubCount,
  kMaxTime,
  kPosition,
  kMessagesOffset,
  kTimeout0Lo,
  kTimeout0Hi,
  kClientId0,
  kLock,
  kSubsBad,
  kSubsOn,
  kStart,
  kMsgTimeoutLo,
  kMsgTimeoutHi,
  kMsgCount,
  kCMsgLock,
  kCMsgAvail,
  kCMsgWPos,
  kCMsgWSerial,
  kCMsgRSerial,
  kCMsg0Size,
  kCount,
};
inline constexpr std::uint32_t kQueueFields[] = {0,   4,   8,   12,  16,  20,  24,  28,
                                                 280, 408, 416, 420, 424, 432, 436, 440,
                                                 444, 448, 452, 456, 460, 464};

enum class UdataField : std::uint8_t {
  kMagicLo,
  kMagicHi,
  kVersion,
  kHostver,
  kFeatures,
  kRecord0Type,
  kRecord0Size,
  kRecord0Body,
  kRecord0Cpus,  // VMINFO's cpus/cores/sockets and the start of the CPU model string
  kCount,
};
inline constexpr std::uint32_t kUdataFields[] = {0, 4, 8, 12, 44, 48, 52, 56, 104};

enum class RecordField : std::uint8_t { kUdata, kSize, kOffset, kPendingSubs, kCount };
inline constexpr std::uint32_t kRecordFields[] = {0, 4, 8, 12};

enum class FrameField : std::uint8_t {
  kFormatVer,
  kSerial,
  kType,
  kScreenWidth,
  kScreenHeight,
  kDataWidth,
  kDataHeight,
  kFrameWidth,
  kFrameHeight,
  kRotation,
  kStride,
  kPitch,
  kOffset,
  kDamageCount,
  kRect0X,
  kRect0Y,
  kRect0W,
  kRect0H,
  kRect1X,
  kRect1W,
  kRect63X,
  kRect63W,
  kFlags,
  kWritePointer,  // B7 layout: the frame buffer at header + 4092
  kPixel0,
  kCount,
};
inline constexpr std::uint32_t kFrameFields[] = {0,  4,  8,    12,   16,   20,   24,  28, 32,
                                                 36, 40, 44,   48,   52,   56,   60,  64, 68,
                                                 72, 80, 1064, 1072, 1080, 4092, 4096};

enum class CursorField : std::uint8_t {
  kXY,
  kType,
  kHotspot,
  kWidth,
  kHeight,
  kPitch,
  kPixel0,
  kCount,
};
inline constexpr std::uint32_t kCursorFields[] = {0, 4, 8, 12, 16, 20, 24};

enum class TailField : std::uint8_t { kLastWord, kLastFrameHeader, kLastRecord, kCount };
inline constexpr std::uint32_t kTailFields[] = {4092, 4096 - 1084, 4096 - 16};

enum class Special : std::uint8_t {
  kZero,
  kOne,
  kTwo,
  kThree,
  kFour,
  kSeven,
  kEight,
  k16,
  k31,
  k32,
  k33,
  k63,
  k64,
  k65,
  k255,
  k256,
  k512,
  k513,
  k1024,
  k1025,
  k1084,
  k4092,
  k4096,
  k16384,
  k16385,
  k65536,
  kI32Max,
  kI32Min,
  kU32Max,
  kU32MaxMinus1,
  kU32MaxMinus3,
  kRegionSize,
  kRegionSizeMinus1,
  kRegionSizeMinus4,
  kRegionSizeMinus8,
  kRegionSizeMinus1084,
  kRegionSizeMinus4096,
  kRegionHalf,
  kSlot0,
  kSlot1,
  kShape0,
  kUdataOffset,
  kHeaderSize,
  kCount,
};
inline constexpr std::uint8_t kDeltaFirst = static_cast<std::uint8_t>(Special::kCount);
inline constexpr std::uint8_t kRawValue = kDeltaFirst + 64;
inline constexpr std::uint8_t kRawField = 0x80;

// The tables must follow their enums and the layout.
template <typename Field, std::size_t N>
constexpr std::uint32_t field_offset(const std::uint32_t (&table)[N], Field field) {
  static_assert(N == static_cast<std::size_t>(Field::kCount));
  return table[static_cast<std::size_t>(field)];
}
static_assert(field_offset(kHeaderFields, HeaderField::kUdataSize) ==
              offsetof(b7::LgmpHeader, udata_size));
static_assert(field_offset(kQueueFields, QueueField::kLock) == offsetof(b7::LgmpQueue, lock));
static_assert(field_offset(kQueueFields, QueueField::kCMsg0Size) ==
              offsetof(b7::LgmpQueue, c_msgs));
static_assert(field_offset(kUdataFields, UdataField::kFeatures) ==
              offsetof(b7::KvmfrHeader, features));
static_assert(field_offset(kRecordFields, RecordField::kPendingSubs) ==
              offsetof(b7::LgmpMessage, pending_subs));
static_assert(field_offset(kFrameFields, FrameField::kDamageCount) ==
              offsetof(b7::KvmfrFrame, damage_rects_count));
static_assert(field_offset(kFrameFields, FrameField::kRect63X) ==
              offsetof(b7::KvmfrFrame, damage_rects) + 63 * sizeof(b7::DamageRect));
static_assert(field_offset(kFrameFields, FrameField::kFlags) == offsetof(b7::KvmfrFrame, flags));
static_assert(field_offset(kFrameFields, FrameField::kWritePointer) == b7::kFrameBufferOffset);
static_assert(field_offset(kCursorFields, CursorField::kPixel0) == sizeof(b7::KvmfrCursor));
static_assert(field_offset(kTailFields, TailField::kLastWord) == 4092);

// Reads the input front to back; past the end every read is 0.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  [[nodiscard]] bool empty() const { return at_ >= size_; }
  std::uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint16_t u16() {
    const std::uint16_t lo = u8();
    return static_cast<std::uint16_t>(lo | (u8() << 8));
  }
  std::uint32_t u32() {
    const std::uint32_t lo = u16();
    return lo | (std::uint32_t{u16()} << 16);
  }
  // Up to n bytes (fewer at the end of the input).
  std::span<const std::uint8_t> bytes(std::size_t n) {
    const std::size_t take = n < size_ - at_ ? n : size_ - at_;
    std::span<const std::uint8_t> out(data_ + at_, take);
    at_ += take;
    return out;
  }
  std::span<const std::uint8_t> rest() { return bytes(size_ - at_); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_{0};
};

// Encodes inputs (the seed generator and tests).
class InputBuilder {
 public:
  explicit InputBuilder(std::uint8_t mode) { u8(mode); }

  InputBuilder& u8(std::uint32_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  InputBuilder& u16(std::uint32_t v) { return u8(v).u8(v >> 8); }
  InputBuilder& u32(std::uint32_t v) { return u16(v).u16(v >> 16); }
  InputBuilder& raw(std::span<const std::uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return *this;
  }
  InputBuilder& op(Op o) { return u8(static_cast<std::uint8_t>(o)); }

  InputBuilder& poll(std::uint8_t arg = 1) { return op(Op::kPoll).u8(arg); }
  InputBuilder& frame(std::uint8_t type, std::uint8_t width, std::uint8_t height,
                      std::span<const std::uint8_t> rects = {}) {
    op(Op::kFrame)
        .u8(type)
        .u8(width - 1)
        .u8(height - 1)
        .u8(static_cast<std::uint32_t>(rects.size() / 4));
    return raw(rects);
  }
  InputBuilder& cursor(std::uint8_t flags, std::uint8_t width, std::uint8_t height,
                       std::int8_t x = 10, std::int8_t y = 20) {
    return op(Op::kCursor)
        .u8(flags)
        .u8(width - 1)
        .u8(height - 1)
        .u8(static_cast<std::uint8_t>(x))
        .u8(static_cast<std::uint8_t>(y))
        .u8(1)
        .u8(2);
  }
  // Set32 with a table field and a special value.
  template <typename Field>
  InputBuilder& set(Target target, Field field, Special value) {
    return op(Op::kSet32)
        .u8(static_cast<std::uint8_t>(target))
        .u8(static_cast<std::uint8_t>(field))
        .u8(static_cast<std::uint8_t>(value));
  }
  // Set32 with a table field and a raw value.
  template <typename Field>
  InputBuilder& set_raw(Target target, Field field, std::uint32_t value) {
    return op(Op::kSet32)
        .u8(static_cast<std::uint8_t>(target))
        .u8(static_cast<std::uint8_t>(field))
        .u8(kRawValue)
        .u32(value);
  }
  // Set32 adding a small delta (-32..31) to the current value.
  template <typename Field>
  InputBuilder& add(Target target, Field field, int delta) {
    return op(Op::kSet32)
        .u8(static_cast<std::uint8_t>(target))
        .u8(static_cast<std::uint8_t>(field))
        .u8(static_cast<std::uint32_t>(kDeltaFirst + 32 + delta));
  }
  InputBuilder& write(Target target, std::uint16_t offset, std::span<const std::uint8_t> data) {
    op(Op::kWrite)
        .u8(static_cast<std::uint8_t>(target))
        .u16(offset)
        .u8(static_cast<std::uint32_t>(data.size() - 1));
    return raw(data);
  }

  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

}  // namespace periscope::fuzz
