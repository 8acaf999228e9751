#pragma once
// The Looking Glass B7 shared-memory layout (LGMP 6 + KVMFR 20), byte for byte.
// See ../shared/spec/b7-shared-memory.md. Natural alignment, little-endian, no packing: every
// offset below is checked by the compiler so a change that moves a field cannot build.
//
// These structs describe memory the guest owns. Never read a field of a struct that lives in
// the shared mapping directly: copy the struct out (see shared_region.hpp) or go through the
// atomic helpers, so each field is fetched exactly once.
#include <cstddef>
#include <cstdint>

namespace periscope::b7 {

inline constexpr std::uint32_t kLgmpMagic = 0x504d474c;  // "LGMP" little-endian
inline constexpr std::uint32_t kLgmpVersion = 6;
inline constexpr std::uint32_t kMaxQueues = 5;
inline constexpr std::uint32_t kMaxSubscribers = 32;
inline constexpr std::uint32_t kMailboxSlots = 10;
inline constexpr std::uint32_t kMailboxMessageBytes = 64;

inline constexpr char kKvmfrMagic[8] = {'K', 'V', 'M', 'F', 'R', '-', '-', '-'};
inline constexpr std::uint32_t kKvmfrVersion = 20;
inline constexpr std::uint32_t kKvmfrFeatureSetCursorPos = 0x1;

inline constexpr std::uint32_t kQueuePointer = 1;
inline constexpr std::uint32_t kQueueFrame = 2;
inline constexpr std::uint32_t kPointerQueueLength = 20;
inline constexpr std::uint32_t kFrameQueueLength = 2;
inline constexpr std::uint32_t kQueueMaxTimeMs = 1000;

inline constexpr std::uint32_t kMaxDamageRects = 64;
inline constexpr std::uint32_t kMaxCursorDim = 512;
inline constexpr std::uint32_t kMaxCursorShapeBytes = kMaxCursorDim * kMaxCursorDim * 4;
inline constexpr std::uint32_t kPageBytes = 4096;

struct LgmpMessage {
  std::uint32_t udata;
  std::uint32_t size;
  std::uint32_t offset;
  std::uint32_t pending_subs;  // atomic
};

struct LgmpMailboxSlot {
  std::uint32_t size;
  std::uint8_t data[kMailboxMessageBytes];
};

struct LgmpQueue {
  std::uint32_t queue_id;
  std::uint32_t num_messages;
  std::uint32_t new_sub_count;  // atomic
  std::uint32_t max_time_ms;
  std::uint32_t position;  // atomic
  std::uint32_t messages_offset;
  std::uint64_t timeout[kMaxSubscribers];
  std::uint32_t client_id[kMaxSubscribers];
  std::uint32_t lock;  // atomic
  std::uint64_t subs;  // atomic: high 32 bits "on", low 32 bits "bad"
  std::uint32_t start;
  std::uint64_t msg_timeout;    // atomic
  std::uint32_t count;          // atomic
  std::uint32_t c_msg_lock;     // atomic
  std::uint32_t c_msg_avail;    // atomic
  std::uint32_t c_msg_wpos;     // atomic
  std::uint32_t c_msg_wserial;  // atomic
  std::uint32_t c_msg_rserial;  // atomic
  LgmpMailboxSlot c_msgs[kMailboxSlots];
};

struct LgmpHeader {
  std::uint32_t magic;
  std::uint32_t version;
  std::uint32_t session_id;
  std::uint64_t timestamp;  // atomic: producer's monotonic ms
  std::uint32_t num_queues;
  LgmpQueue queues[kMaxQueues];
  std::uint32_t udata_size;
  // udata (a flexible array in C) starts at kUdataOffset, inside this struct's tail padding.
};
inline constexpr std::size_t kUdataOffset = 5756;

struct KvmfrHeader {
  char magic[8];
  std::uint32_t version;
  char hostver[32];  // not guaranteed NUL-terminated
  std::uint32_t features;
};

struct KvmfrRecordHeader {
  std::uint8_t type;
  std::uint8_t padding[3];
  std::uint32_t size;
};
inline constexpr std::uint8_t kRecordVmInfo = 1;
inline constexpr std::uint8_t kRecordOsInfo = 2;

struct KvmfrVmInfo {  // followed by a NUL-terminated CPU model string
  std::uint8_t uuid[16];
  char capture[32];
  std::uint8_t cpus;
  std::uint8_t cores;
  std::uint8_t sockets;
};

enum class OsType : std::uint8_t { kLinux = 0, kBsd = 1, kOsx = 2, kWindows = 3, kOther = 4 };

struct DamageRect {
  std::uint32_t x;
  std::uint32_t y;
  std::uint32_t width;
  std::uint32_t height;
};

enum class FrameType : std::uint32_t {
  kInvalid = 0,
  kBgra = 1,
  kRgba = 2,
  kRgba10 = 3,
  kRgba16f = 4,
  kBgr32 = 5,  // 24-bit BGR packed into 32-bit texels
  kRgb24 = 6,
};
inline constexpr std::uint32_t kFrameTypeCount = 7;

enum class FrameRotation : std::uint32_t { k0 = 0, k90 = 1, k180 = 2, k270 = 3 };

inline constexpr std::uint32_t kFrameFlagBlockScreensaver = 0x1;
inline constexpr std::uint32_t kFrameFlagRequestActivation = 0x2;
inline constexpr std::uint32_t kFrameFlagTruncated = 0x4;
inline constexpr std::uint32_t kFrameFlagHdr = 0x8;
inline constexpr std::uint32_t kFrameFlagHdrPq = 0x10;

struct KvmfrFrame {
  std::uint32_t format_ver;
  std::uint32_t frame_serial;
  std::uint32_t type;  // FrameType
  std::uint32_t screen_width;
  std::uint32_t screen_height;
  std::uint32_t data_width;
  std::uint32_t data_height;
  std::uint32_t frame_width;
  std::uint32_t frame_height;
  std::uint32_t rotation;
  std::uint32_t stride;  // pixels
  std::uint32_t pitch;   // bytes
  std::uint32_t offset;  // from this header to the frame buffer {atomic u32 wp; u8 data[]}
  std::uint32_t damage_rects_count;
  DamageRect damage_rects[kMaxDamageRects];
  std::uint32_t flags;
};
// In B7 the frame buffer's wp sits 4 bytes before the page boundary so the pixels that follow
// start page-aligned (what lets /dev/kvmfr0 export them as a DMA-BUF).
inline constexpr std::uint32_t kFrameBufferOffset = kPageBytes - 4;

enum class CursorType : std::uint32_t { kColor = 0, kMonochrome = 1, kMaskedColor = 2 };
inline constexpr std::uint32_t kCursorFlagPosition = 0x1;
inline constexpr std::uint32_t kCursorFlagVisible = 0x2;
inline constexpr std::uint32_t kCursorFlagShape = 0x4;

struct KvmfrCursor {
  std::int16_t x;
  std::int16_t y;
  std::uint32_t type;  // CursorType
  std::int8_t hx;
  std::int8_t hy;
  std::uint32_t width;
  std::uint32_t height;
  std::uint32_t pitch;
};

// Consumer → producer mailbox message on the pointer queue.
inline constexpr std::uint32_t kMessageSetCursorPos = 0;
struct KvmfrSetCursorPos {
  std::uint32_t type;
  std::int32_t x;
  std::int32_t y;
};

// ---- every offset the spec lists ----
static_assert(sizeof(LgmpMessage) == 16);
static_assert(offsetof(LgmpMessage, udata) == 0);
static_assert(offsetof(LgmpMessage, size) == 4);
static_assert(offsetof(LgmpMessage, offset) == 8);
static_assert(offsetof(LgmpMessage, pending_subs) == 12);

static_assert(sizeof(LgmpMailboxSlot) == 68);

static_assert(sizeof(LgmpQueue) == 1144);
static_assert(alignof(LgmpQueue) == 8);
static_assert(offsetof(LgmpQueue, queue_id) == 0);
static_assert(offsetof(LgmpQueue, num_messages) == 4);
static_assert(offsetof(LgmpQueue, new_sub_count) == 8);
static_assert(offsetof(LgmpQueue, max_time_ms) == 12);
static_assert(offsetof(LgmpQueue, position) == 16);
static_assert(offsetof(LgmpQueue, messages_offset) == 20);
static_assert(offsetof(LgmpQueue, timeout) == 24);
static_assert(offsetof(LgmpQueue, client_id) == 280);
static_assert(offsetof(LgmpQueue, lock) == 408);
static_assert(offsetof(LgmpQueue, subs) == 416);
static_assert(offsetof(LgmpQueue, start) == 424);
static_assert(offsetof(LgmpQueue, msg_timeout) == 432);
static_assert(offsetof(LgmpQueue, count) == 440);
static_assert(offsetof(LgmpQueue, c_msg_lock) == 444);
static_assert(offsetof(LgmpQueue, c_msg_avail) == 448);
static_assert(offsetof(LgmpQueue, c_msg_wpos) == 452);
static_assert(offsetof(LgmpQueue, c_msg_wserial) == 456);
static_assert(offsetof(LgmpQueue, c_msg_rserial) == 460);
static_assert(offsetof(LgmpQueue, c_msgs) == 464);

static_assert(sizeof(LgmpHeader) == 5760);
static_assert(offsetof(LgmpHeader, magic) == 0);
static_assert(offsetof(LgmpHeader, version) == 4);
static_assert(offsetof(LgmpHeader, session_id) == 8);
static_assert(offsetof(LgmpHeader, timestamp) == 16);
static_assert(offsetof(LgmpHeader, num_queues) == 24);
static_assert(offsetof(LgmpHeader, queues) == 32);
static_assert(offsetof(LgmpHeader, udata_size) == 5752);
static_assert(offsetof(LgmpHeader, udata_size) + sizeof(std::uint32_t) == kUdataOffset);

static_assert(sizeof(KvmfrHeader) == 48);
static_assert(offsetof(KvmfrHeader, magic) == 0);
static_assert(offsetof(KvmfrHeader, version) == 8);
static_assert(offsetof(KvmfrHeader, hostver) == 12);
static_assert(offsetof(KvmfrHeader, features) == 44);

static_assert(sizeof(KvmfrRecordHeader) == 8);
static_assert(offsetof(KvmfrRecordHeader, size) == 4);
static_assert(sizeof(KvmfrVmInfo) == 51);
static_assert(offsetof(KvmfrVmInfo, capture) == 16);
static_assert(offsetof(KvmfrVmInfo, cpus) == 48);

static_assert(sizeof(DamageRect) == 16);
static_assert(sizeof(KvmfrFrame) == 1084);
static_assert(offsetof(KvmfrFrame, format_ver) == 0);
static_assert(offsetof(KvmfrFrame, frame_serial) == 4);
static_assert(offsetof(KvmfrFrame, type) == 8);
static_assert(offsetof(KvmfrFrame, screen_width) == 12);
static_assert(offsetof(KvmfrFrame, screen_height) == 16);
static_assert(offsetof(KvmfrFrame, data_width) == 20);
static_assert(offsetof(KvmfrFrame, data_height) == 24);
static_assert(offsetof(KvmfrFrame, frame_width) == 28);
static_assert(offsetof(KvmfrFrame, frame_height) == 32);
static_assert(offsetof(KvmfrFrame, rotation) == 36);
static_assert(offsetof(KvmfrFrame, stride) == 40);
static_assert(offsetof(KvmfrFrame, pitch) == 44);
static_assert(offsetof(KvmfrFrame, offset) == 48);
static_assert(offsetof(KvmfrFrame, damage_rects_count) == 52);
static_assert(offsetof(KvmfrFrame, damage_rects) == 56);
static_assert(offsetof(KvmfrFrame, flags) == 1080);

static_assert(sizeof(KvmfrCursor) == 24);
static_assert(offsetof(KvmfrCursor, x) == 0);
static_assert(offsetof(KvmfrCursor, y) == 2);
static_assert(offsetof(KvmfrCursor, type) == 4);
static_assert(offsetof(KvmfrCursor, hx) == 8);
static_assert(offsetof(KvmfrCursor, hy) == 9);
static_assert(offsetof(KvmfrCursor, width) == 12);
static_assert(offsetof(KvmfrCursor, height) == 16);
static_assert(offsetof(KvmfrCursor, pitch) == 20);

static_assert(sizeof(KvmfrSetCursorPos) == 12);

}  // namespace periscope::b7
