#include "consumer_harness.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "frame_model.hpp"
#include "fuzz_input.hpp"
#include "region_arena.hpp"
#include "relay/consumer.hpp"
#include "relay/frame_format.hpp"
#include "relay/producer.hpp"

namespace periscope::fuzz {

namespace {

HarnessOptions g_options;

// The heartbeat the consumer sees is synthetic, never the wall clock. It starts far above any
// real monotonic millisecond count, so deadlines the consumer writes (msgTimeout = heartbeat +
// maxTime) never expire under the producer's real clock and a stale "bad" subscriber is always
// reclaimable: both comparisons come out the same on every run.
constexpr std::uint64_t kHeartbeatBaseMs = 1ULL << 40;
constexpr std::size_t kMaxOps = 1024;  // bounds the time one input can take
constexpr std::uint64_t kQueuesOffset = offsetof(b7::LgmpHeader, queues);
constexpr std::uint64_t kQueueBytes = sizeof(b7::LgmpQueue);
constexpr std::uint64_t kTimestampOffset = offsetof(b7::LgmpHeader, timestamp);
constexpr std::uint32_t kMaxRingSlots = 4096;  // the client refuses larger rings
constexpr std::uint32_t kPage = b7::kPageBytes;

template <typename... Args>
[[noreturn]] void invariant_failed(fmt::format_string<Args...> format, Args&&... args) {
  std::fprintf(stderr, "consumer_fuzz: invariant broken: %s\n",
               fmt::format(format, std::forward<Args>(args)...).c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond, ...)                   \
  do {                                          \
    if (!(cond)) invariant_failed(__VA_ARGS__); \
  } while (false)

ProducerOptions producer_options() {
  ProducerOptions options;
  options.info.hostver = "B7";
  options.info.features = b7::kKvmfrFeatureSetCursorPos;
  b7::VmInfo vm;
  vm.uuid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  vm.capture = "DXGI";
  vm.cpus = 8;
  vm.cores = 4;
  vm.sockets = 1;
  vm.cpu_model = "Fuzz CPU @ 1.00GHz";
  options.info.vm = vm;
  options.info.os = b7::OsInfo{b7::OsType::kWindows, "Windows 10"};
  options.heartbeat_thread = false;  // the harness ticks it, so each run is repeatable
  return options;
}

ConsumerOptions consumer_options() {
  ConsumerOptions options;
  // Zero budgets: every wait is a single look (WpWaiter gives up at its first clock check,
  // lock_bounded after its first 64 compare-exchanges), so nothing depends on how fast we run.
  // Only Subscription's destructor keeps its own 1 ms budget (see ~Session).
  options.wp_stall_timeout = Nanoseconds(0);
  options.lock_budget = Nanoseconds(0);
  options.heartbeat_timeout = Milliseconds(50);
  options.max_cursor_messages_per_poll = 4;  // small enough that a flood hits the limit
  return options;
}

// Where the producer put things: learnt once from the messages it posts.
struct Layout {
  std::uint64_t hot_end{0};  // header, udata, rings, position buffers: before the 1st shape
  std::array<std::uint32_t, 2> slots{};
  std::array<std::uint32_t, 3> shapes{};
};

class Events : public ConsumerEvents {
 public:
  void on_frame(const Frame& frame, const FrameTiming& /*timing*/) override {
    FUZZ_CHECK(frame.pixels.size() == frame.info.data_bytes,
               "on_frame: {} pixel bytes for a frame of {}", frame.pixels.size(),
               frame.info.data_bytes);
  }
};

b7::LgmpMessage last_record(SharedRegion region, std::size_t queue) {
  const auto& q = reinterpret_cast<const b7::LgmpHeader*>(region.base())->queues[queue];
  const std::uint32_t slots = q.num_messages;
  b7::LgmpMessage record{};
  const std::uint64_t index = (q.position + slots - 1) % slots;
  (void)region.copy_out(q.messages_offset + index * sizeof record, record);
  return record;
}

// Runs the producer once with a subscribed consumer and reads where it put its cursor shape
// buffers and frame slots. Uses the real clock: only offsets are kept, and they depend only on
// the configuration.
Layout learn_layout() {
  RegionArena& arena = RegionArena::instance();
  const SharedRegion region(arena.base(), arena.size());
  Layout layout;
  {
    auto producer = Producer::create(region, producer_options());
    if (!producer) invariant_failed("baseline producer: {}", producer.error().message);
    Consumer consumer(region, consumer_options());
    Events events;
    TimePoint now = Clock::now();
    consumer.poll(now, events);
    for (int beat = 0; beat < 2; ++beat) {  // a new session starts on its second heartbeat
      ++reinterpret_cast<b7::LgmpHeader*>(region.base())->timestamp;
      consumer.poll(now, events);
    }
    FUZZ_CHECK(consumer.state() == Consumer::State::kRunning, "baseline consumer did not start");
    const std::array<std::byte, 4> pixel{};
    for (auto& shape : layout.shapes) {
      CursorUpdate update;
      update.shape = CursorUpdate::Shape{b7::CursorType::kColor, 1, 1, 4, 0, 0, pixel};
      FUZZ_CHECK((*producer)->write_cursor(update), "baseline cursor");
      shape = last_record(region, 0).offset;
      while (consumer.poll(now, events)) {
      }
    }
    for (auto& slot : layout.slots) {
      const FrameDesc desc{b7::FrameType::kBgra, 1, 1};
      auto written = (*producer)->write_frame(desc, pixel.data(), 4, {}, Nanoseconds(0));
      FUZZ_CHECK(written && written->post == FramePost::kPosted, "baseline frame");
      slot = last_record(region, 1).offset;
      while (consumer.poll(now, events)) {
      }
    }
  }
  layout.hot_end = layout.shapes[0];
  FUZZ_CHECK(layout.shapes[0] < layout.shapes[1] && layout.shapes[1] < layout.shapes[2] &&
                 layout.shapes[2] < layout.slots[0] && layout.slots[0] < layout.slots[1] &&
                 layout.slots[1] < arena.size(),
             "unexpected producer layout");
  arena.mark_all();
  arena.restore();
  return layout;
}

const Layout& layout() {
  static const Layout layout = learn_layout();
  return layout;
}

// The baseline every structured input starts from, as a program of harness operations: a
// subscribed consumer that already holds a frame (whole, then damage) and a cursor shape.
std::vector<std::uint8_t> baseline_program(std::uint8_t flags) {
  InputBuilder b(0);
  // Probe, a heartbeat, start on the second, the producer sees its subscribers.
  b.poll(kPollOnce).poll(kPollOnce).poll(kPollOnce).op(Op::kTick);
  if ((flags & kBaselineNoCursor) == 0) b.cursor(0x7, 32, 32);
  if ((flags & kBaselineNoFrames) == 0) {
    const std::array<std::uint8_t, 8> rects = {4, 4, 8, 8, 40, 20, 30, 20};
    b.frame(0, 64, 32).poll().frame(0, 64, 32, rects).poll();
  }
  b.poll();
  return b.bytes();
}

class Session {
 public:
  Session() : arena_(RegionArena::instance()), layout_(layout()) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  void run_structured(ByteReader& in, std::uint8_t flags);
  void run_raw(ByteReader& in);

 private:
  struct TargetInfo {
    std::uint64_t base{0};
    std::uint64_t span{1};
    std::span<const std::uint32_t> fields;
    bool ring{false};  // fields are the records' fields
  };
  struct QueueView {
    std::uint64_t base;
    std::uint32_t slots;
    std::uint32_t ring;
    std::uint32_t position;
  };

  // Region access relative to the consumer's view, clipped to it; writes are marked dirty.
  [[nodiscard]] std::uint32_t peek32(std::uint64_t offset) const;
  [[nodiscard]] std::uint64_t peek64(std::uint64_t offset) const;
  void poke(std::uint64_t offset, const void* data, std::size_t size);
  void poke32(std::uint64_t offset, std::uint32_t value) { poke(offset, &value, sizeof value); }
  void poke64(std::uint64_t offset, std::uint64_t value) { poke(offset, &value, sizeof value); }
  [[nodiscard]] bool has_header() const { return view_.size() >= sizeof(b7::LgmpHeader); }
  [[nodiscard]] QueueView queue(std::size_t index) const;
  // The record at the queue's write position (the next post), or the one before (the last).
  [[nodiscard]] std::uint64_t record_offset(std::size_t queue_index, bool last) const;
  void mark_rings();

  void run_ops(ByteReader& in);
  bool poll_once();
  void heartbeat();
  void after_tick();
  void check_invariants();

  void op_poll(std::uint8_t arg);
  void op_tick();
  void op_frame(ByteReader& in);
  void op_cursor(ByteReader& in);
  void op_write(ByteReader& in);
  void op_set32(ByteReader& in);
  void op_post_raw(ByteReader& in);
  void op_repost();

  [[nodiscard]] TargetInfo resolve(Target target) const;
  std::uint64_t pick_offset(ByteReader& in, Target target, bool field);
  std::uint32_t pick_value(ByteReader& in, std::uint32_t current) const;
  [[nodiscard]] std::uint32_t special(Special s) const;

  RegionArena& arena_;
  const Layout& layout_;
  std::uint64_t view_offset_{0};  // where the consumer's view starts in the arena
  SharedRegion view_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  Events events_;
  TimePoint now_{Milliseconds(1'000'000)};
  std::uint64_t heartbeat_ms_{kHeartbeatBaseMs};
  FrameModel model_;
  bool clean_{true};                  // nothing but the producer wrote the region: the model holds
  std::uint64_t compared_frames_{0};  // stats().frames at the last model comparison
};

Session::~Session() {
  if (g_options.trace && consumer_) {
    const ConsumerStats& s = consumer_->stats();
    std::fprintf(stderr,
                 "trace: state %d frames %llu damage %llu reposts %llu cursors %llu shapes %llu "
                 "rejected %llu stalls %llu truncated %llu sessions %llu restarts %llu resubs %llu "
                 "last error \"%s\"\n",
                 static_cast<int>(consumer_->state()), static_cast<unsigned long long>(s.frames),
                 static_cast<unsigned long long>(s.damage_frames),
                 static_cast<unsigned long long>(s.reposts_skipped),
                 static_cast<unsigned long long>(s.cursor_updates),
                 static_cast<unsigned long long>(s.cursor_shapes),
                 static_cast<unsigned long long>(s.rejected_messages),
                 static_cast<unsigned long long>(s.wp_stalls),
                 static_cast<unsigned long long>(s.truncated_frames),
                 static_cast<unsigned long long>(s.sessions),
                 static_cast<unsigned long long>(s.session_restarts),
                 static_cast<unsigned long long>(s.resubscriptions), s.last_error.c_str());
  }
  // Release any lock a "guest" write left held, so the consumer's destructor does not spend its
  // unsubscribe budget (real time) spinning on it; that path is reached by kStop/kRecreate.
  if (has_header()) {
    for (std::size_t i = 0; i < b7::kMaxQueues; ++i) {
      poke32(queue(i).base + offsetof(b7::LgmpQueue, lock), 0);
    }
  }
  consumer_.reset();
  producer_.reset();
  arena_.restore();
  if (g_options.verify_restore) {
    FUZZ_CHECK(arena_.all_zero(), "the region was not restored to zero (dirty tracking)");
  }
}

std::uint32_t Session::peek32(std::uint64_t offset) const {
  return view_.read<std::uint32_t>(offset).value_or(0);
}

std::uint64_t Session::peek64(std::uint64_t offset) const {
  return view_.read<std::uint64_t>(offset).value_or(0);
}

void Session::poke(std::uint64_t offset, const void* data, std::size_t size) {
  if (offset >= view_.size()) return;
  const std::size_t n = std::min<std::uint64_t>(size, view_.size() - offset);
  arena_.mark(view_offset_ + offset, n);
  std::memcpy(view_.base() + offset, data, n);
}

Session::QueueView Session::queue(std::size_t index) const {
  const std::uint64_t base = kQueuesOffset + index * kQueueBytes;
  return QueueView{base, peek32(base + offsetof(b7::LgmpQueue, num_messages)),
                   peek32(base + offsetof(b7::LgmpQueue, messages_offset)),
                   peek32(base + offsetof(b7::LgmpQueue, position))};
}

std::uint64_t Session::record_offset(std::size_t queue_index, bool last) const {
  const QueueView q = queue(queue_index);
  if (q.slots == 0) return q.ring;
  const std::uint64_t index = (q.position % q.slots + (last ? q.slots - 1 : 0)) % q.slots;
  return q.ring + index * sizeof(b7::LgmpMessage);
}

void Session::mark_rings() {
  // The consumer writes pendingSubs into whatever ring it subscribed to, which the guest may
  // have moved anywhere: mark each queue's current ring after every step.
  if (!has_header()) return;
  for (std::size_t i = 0; i < b7::kMaxQueues; ++i) {
    const QueueView q = queue(i);
    arena_.mark(view_offset_ + q.ring,
                std::uint64_t{std::min(q.slots, kMaxRingSlots)} * sizeof(b7::LgmpMessage));
  }
}

bool Session::poll_once() {
  const bool more = consumer_->poll(now_, events_);
  mark_rings();
  check_invariants();
  return more;
}

void Session::heartbeat() {
  if (view_.size() < kTimestampOffset + 8) return;
  heartbeat_ms_ = peek64(kTimestampOffset) + 1;
  poke64(kTimestampOffset, heartbeat_ms_);
}

void Session::after_tick() {
  // The producer stored its real clock; put the synthetic one back before anyone looks.
  poke64(kTimestampOffset, ++heartbeat_ms_);
  mark_rings();
}

void Session::check_invariants() {
  if (consumer_->has_frame()) {
    const Frame& frame = consumer_->frame();
    FUZZ_CHECK(frame.pixels.size() <= view_.size(), "{} frame bytes in a {}-byte region",
               frame.pixels.size(), view_.size());
    const b7::FrameInfo& info = frame.info;
    FUZZ_CHECK(frame.pixels.size() == info.data_bytes, "{} pixel bytes for a frame of {}",
               frame.pixels.size(), info.data_bytes);
    FUZZ_CHECK(info.data_bytes == std::uint64_t{info.data_height} * info.pitch &&
                   info.data_offset + info.data_bytes <= view_.size(),
               "frame of {} bytes at {} in a {}-byte region", info.data_bytes, info.data_offset,
               view_.size());
    FUZZ_CHECK(info.damage_count <= b7::kMaxDamageRects, "{} damage rects", info.damage_count);
    for (std::uint32_t i = 0; i < info.damage_count; ++i) {
      const b7::TexelRect& r = info.damage[i];
      FUZZ_CHECK(std::uint64_t{r.x} + r.width <= info.data_width &&
                     std::uint64_t{r.y} + r.height <= info.data_height,
                 "damage rect {},{} {}x{} outside {}x{} texels", r.x, r.y, r.width, r.height,
                 info.data_width, info.data_height);
    }
    // Compare with the model once per frame received (a whole-frame compare every poll would
    // dominate the run time).
    const std::uint64_t received = consumer_->stats().frames;
    if (clean_ && received != compared_frames_) {
      compared_frames_ = received;
      if (auto want = model_.expected(info.serial)) {
        FUZZ_CHECK(want->size() == frame.pixels.size(), "frame {}: {} bytes, expected {}",
                   info.serial, frame.pixels.size(), want->size());
        const auto got =
            std::mismatch(frame.pixels.begin(), frame.pixels.end(), want->begin()).first;
        const auto at = static_cast<std::size_t>(got - frame.pixels.begin());
        FUZZ_CHECK(got == frame.pixels.end(),
                   "frame {}: pixel byte {} (row {}) differs from what the producer was given",
                   info.serial, at, at / std::max<std::uint32_t>(info.pitch, 1));
      }
    }
  }
  if (const auto& shape = consumer_->cursor().shape) {
    FUZZ_CHECK(shape->pixels.size() <= b7::kMaxCursorShapeBytes, "cursor shape of {} bytes",
               shape->pixels.size());
    FUZZ_CHECK(shape->pixels.size() == std::uint64_t{shape->height} * shape->pitch &&
                   shape->width >= 1 && shape->width <= b7::kMaxCursorDim && shape->height >= 1 &&
                   shape->height <= 2 * b7::kMaxCursorDim,
               "cursor shape {}x{} pitch {} with {} bytes", shape->width, shape->height,
               shape->pitch, shape->pixels.size());
  }
  if (consumer_->state() == Consumer::State::kRunning) {
    FUZZ_CHECK(consumer_->session().has_value(), "running without a session");
  }
}

void Session::run_structured(ByteReader& in, std::uint8_t flags) {
  view_offset_ = 0;
  view_ = SharedRegion(arena_.base(), arena_.size());
  arena_.mark(0, layout_.hot_end);  // Producer::create writes the header and rings
  auto producer = Producer::create(view_, producer_options());
  if (!producer) invariant_failed("baseline producer: {}", producer.error().message);
  producer_ = std::move(*producer);
  poke64(kTimestampOffset, heartbeat_ms_);
  consumer_ = std::make_unique<Consumer>(view_, consumer_options());

  const std::vector<std::uint8_t> baseline = baseline_program(flags);
  ByteReader setup(baseline.data() + 1, baseline.size() - 1);
  run_ops(setup);
  if ((flags & kBaselineNoFrames) == 0) {
    FUZZ_CHECK(consumer_->has_frame(), "the baseline consumer has no frame");
  }
  run_ops(in);
  for (int i = 0; i < 3; ++i) op_poll(1);  // let whatever is pending arrive
}

void Session::run_raw(ByteReader& in) {
  const std::uint16_t code = in.u16();
  const unsigned rounds = 1U + in.u8() % 8U;
  const std::uint64_t view_bytes =
      code == 0 ? arena_.size() : std::min<std::uint64_t>(std::uint64_t{code} * 64, arena_.size());
  // The view ends where the arena does, right before the guard page.
  view_offset_ = arena_.size() - view_bytes;
  view_ = SharedRegion(arena_.base() + view_offset_, view_bytes);
  const auto bytes = in.rest();
  poke(0, bytes.data(), bytes.size());
  arena_.mark(view_offset_, std::min<std::uint64_t>(view_bytes, sizeof(b7::LgmpHeader)));
  clean_ = false;

  consumer_ = std::make_unique<Consumer>(view_, consumer_options());
  poll_once();
  heartbeat();
  poll_once();
  heartbeat();
  poll_once();  // subscribes (second heartbeat), at the queues' current write positions
  for (unsigned round = 0; round < rounds; ++round) {
    if (has_header()) {
      // A "post" on every queue: the record at the old position becomes readable.
      for (std::size_t i = 0; i < b7::kMaxQueues; ++i) {
        const QueueView q = queue(i);
        if (q.slots != 0) {
          poke32(q.base + offsetof(b7::LgmpQueue, position), (q.position + 1) % q.slots);
        }
      }
    }
    heartbeat();
    now_ += Milliseconds(1);
    for (int i = 0; i < 4 && poll_once(); ++i) {
    }
    if (round % 2 == 1) {
      (void)consumer_->set_cursor_position(static_cast<std::int32_t>(round), 7);
    }
  }
}

void Session::run_ops(ByteReader& in) {
  for (std::size_t n = 0; n < kMaxOps && !in.empty(); ++n) {
    const auto op = static_cast<Op>(in.u8() % static_cast<std::uint8_t>(Op::kCount));
    switch (op) {
      case Op::kPoll:
        op_poll(in.u8());
        break;
      case Op::kHeartbeat:
        heartbeat();
        break;
      case Op::kTick:
        op_tick();
        break;
      case Op::kFrame:
        op_frame(in);
        break;
      case Op::kCursor:
        op_cursor(in);
        break;
      case Op::kWrite:
        op_write(in);
        break;
      case Op::kSet32:
        op_set32(in);
        break;
      case Op::kPostRaw:
        op_post_raw(in);
        break;
      case Op::kSetCursorPos: {
        const auto x = static_cast<std::int16_t>(in.u16());
        const auto y = static_cast<std::int16_t>(in.u16());
        (void)consumer_->set_cursor_position(x, y);
        break;
      }
      case Op::kStop:
        consumer_->stop("fuzz: stop", events_);
        check_invariants();
        break;
      case Op::kRecreate:
        consumer_.reset();
        consumer_ = std::make_unique<Consumer>(view_, consumer_options());
        break;
      case Op::kRepost:
        op_repost();
        break;
      case Op::kCount:
        break;
    }
  }
}

void Session::op_poll(std::uint8_t arg) {
  now_ += Milliseconds(arg & 63);
  if ((arg & kPollNoHeartbeat) == 0) heartbeat();
  const int polls = (arg & kPollOnce) != 0 ? 1 : 4;
  for (int i = 0; i < polls && poll_once(); ++i) {
  }
}

void Session::op_tick() {
  producer_->tick();
  (void)producer_->take_cursor_position_requests();
  after_tick();
}

void Session::op_repost() {
  for (std::size_t i = 0; i < 2; ++i) {
    const std::uint64_t at = queue(i).base + offsetof(b7::LgmpQueue, new_sub_count);
    poke32(at, peek32(at) + 1);
  }
  op_tick();
}

void Session::op_frame(ByteReader& in) {
  const std::uint8_t t = in.u8();
  FrameDesc desc;
  desc.type = static_cast<b7::FrameType>(1 + (t & 7) % 6);
  desc.rotation = (t & 0x08) != 0 ? b7::FrameRotation::k90 : b7::FrameRotation::k0;
  desc.flags = ((t & 0x20) != 0 ? b7::kFrameFlagBlockScreensaver : 0) |
               ((t & 0x40) != 0 ? b7::kFrameFlagRequestActivation : 0) |
               ((t & 0x80) != 0 ? b7::kFrameFlagHdr : 0);
  desc.width = 1U + in.u8() % 96U;
  if ((t & 0x10) != 0) {
    desc.screen_width = desc.width * 2;  // the guest desktop is larger than the image
    desc.screen_height = 1080;
  }
  const std::uint8_t height_code = in.u8();
  // 0xff: taller than a frame slot, so the producer truncates. Rare on purpose: it copies
  // hundreds of KiB several times.
  desc.height = height_code == 0xff ? b7::kMaxFrameDim : 1U + height_code % 64U;

  const std::uint8_t d = in.u8();
  std::vector<b7::DamageRect> damage;
  for (std::uint32_t i = 0; i < d % 8U; ++i) {
    const std::uint32_t x = in.u8();
    const std::uint32_t y = in.u8();
    const std::uint32_t w = in.u8();
    const std::uint32_t h = in.u8();
    damage.push_back({x, y, w, h});
  }
  if ((d & 0x80) != 0) {
    // More rects than a frame can carry: the producer must send "everything changed".
    for (std::uint32_t i = 0; i <= b7::kMaxDamageRects; ++i) damage.push_back({i, i, 1, 1});
  }
  if (!model_.continues(desc)) damage.clear();

  const std::uint32_t texels =
      b7::is_packed_24bit(desc.type) ? b7::packed_texels(desc.width) : desc.width;
  const std::uint32_t pitch = texels * b7::texel_bytes(desc.type);
  const auto rows = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(desc.height, producer_->max_frame_bytes() / pitch));
  const std::byte* src = model_.prepare(desc, pitch, rows, damage);
  for (std::uint32_t slot : layout_.slots) {
    arena_.mark(slot, kPage + std::uint64_t{rows} * pitch);
  }
  model_.written(producer_->write_frame(desc, src, pitch, damage, Nanoseconds(0)),
                 g_options.strict_model);
  mark_rings();
}

void Session::op_cursor(ByteReader& in) {
  static const std::vector<std::byte> pattern = [] {
    std::vector<std::byte> p(64 * (64 * 4 + 4));
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::byte>(i * 37 + 5);
    return p;
  }();
  const std::uint8_t flags = in.u8();
  const std::uint32_t width = 1U + in.u8() % 64U;
  const std::uint32_t height = 1U + in.u8() % 64U;
  const auto x = static_cast<std::int8_t>(in.u8());
  const auto y = static_cast<std::int8_t>(in.u8());
  const auto hx = static_cast<std::int8_t>(in.u8());
  const auto hy = static_cast<std::int8_t>(in.u8());

  CursorUpdate update;
  update.visible = (flags & 0x1) != 0;
  if ((flags & 0x2) != 0) {
    update.position = {static_cast<std::int16_t>(x * 8), static_cast<std::int16_t>(y * 8)};
  }
  if ((flags & 0x4) != 0) {
    const auto type = static_cast<b7::CursorType>(((flags >> 3) & 3U) % 3U);
    const std::uint32_t row = type == b7::CursorType::kMonochrome ? (width + 7) / 8 : width * 4;
    const std::uint32_t pitch = row + ((flags & 0x20) != 0 ? 4 : 0);
    const std::size_t bytes = std::size_t{height} * pitch;
    update.shape =
        CursorUpdate::Shape{type, width, height, pitch, hx, hy, std::span(pattern.data(), bytes)};
    for (std::uint32_t shape : layout_.shapes) {
      arena_.mark(shape, sizeof(b7::KvmfrCursor) + bytes);
    }
  }
  (void)producer_->write_cursor(update);
  mark_rings();
}

Session::TargetInfo Session::resolve(Target target) const {
  switch (target) {
    case Target::kHeader:
      return {0, 2 * kPage, kHeaderFields, false};
    case Target::kQueue0:
    case Target::kQueue1:
    case Target::kQueue2:
    case Target::kQueue3:
    case Target::kQueue4: {
      const auto index =
          static_cast<std::size_t>(target) - static_cast<std::size_t>(Target::kQueue0);
      return {queue(index).base, kQueueBytes, kQueueFields, false};
    }
    case Target::kUdata:
      return {b7::kUdataOffset, 512, kUdataFields, false};
    case Target::kPointerRing:
    case Target::kFrameRing: {
      const QueueView q = queue(target == Target::kPointerRing ? 0 : 1);
      const std::uint32_t slots = std::clamp<std::uint32_t>(q.slots, 1, kMaxRingSlots);
      return {q.ring, std::uint64_t{slots} * sizeof(b7::LgmpMessage), {}, true};
    }
    case Target::kLastPointerRecord:
      return {record_offset(0, true), sizeof(b7::LgmpMessage), kRecordFields, false};
    case Target::kLastFrameRecord:
      return {record_offset(1, true), sizeof(b7::LgmpMessage), kRecordFields, false};
    case Target::kNextFrameRecord:
      return {record_offset(1, false), sizeof(b7::LgmpMessage), kRecordFields, false};
    case Target::kFrameSlot0:
      return {layout_.slots[0], 2 * kPage, kFrameFields, false};
    case Target::kFrameSlot1:
      return {layout_.slots[1], 2 * kPage, kFrameFields, false};
    case Target::kLatestFrame:
      return {peek32(record_offset(1, true) + offsetof(b7::LgmpMessage, offset)), 2 * kPage,
              kFrameFields, false};
    case Target::kLatestCursor:
      return {peek32(record_offset(0, true) + offsetof(b7::LgmpMessage, offset)), kPage,
              kCursorFields, false};
    case Target::kRegionTail:
      return {view_.size() - std::min<std::uint64_t>(kPage, view_.size()), kPage, kTailFields,
              false};
    case Target::kAbsolute:
    case Target::kCount:
      break;
  }
  return {0, std::max<std::uint64_t>(view_.size(), 1), {}, false};
}

std::uint64_t Session::pick_offset(ByteReader& in, Target target, bool field) {
  if (target == Target::kAbsolute) {
    const std::uint64_t at = in.u32() % std::max<std::uint64_t>(view_.size(), 1);
    return field ? at / 4 * 4 : at;
  }
  const TargetInfo t = resolve(target);
  if (!field) return t.base + in.u16() % t.span;
  const std::uint8_t f = in.u8();
  if (f >= kRawField || (t.fields.empty() && !t.ring)) {
    return t.base + in.u16() % t.span / 4 * 4;
  }
  if (t.ring) return t.base + std::uint64_t{f} * 4 % t.span;  // record f/4, field f%4
  return t.base + t.fields[f % t.fields.size()];
}

std::uint32_t Session::special(Special s) const {
  const auto size = static_cast<std::uint32_t>(view_.size());
  switch (s) {
    // clang-format off
    case Special::kZero: return 0;
    case Special::kOne: return 1;
    case Special::kTwo: return 2;
    case Special::kThree: return 3;
    case Special::kFour: return 4;
    case Special::kSeven: return 7;
    case Special::kEight: return 8;
    case Special::k16: return 16;
    case Special::k31: return 31;
    case Special::k32: return 32;
    case Special::k33: return 33;
    case Special::k63: return 63;
    case Special::k64: return 64;
    case Special::k65: return 65;
    case Special::k255: return 255;
    case Special::k256: return 256;
    case Special::k512: return 512;
    case Special::k513: return 513;
    case Special::k1024: return 1024;
    case Special::k1025: return 1025;
    case Special::k1084: return sizeof(b7::KvmfrFrame);
    case Special::k4092: return b7::kFrameBufferOffset;
    case Special::k4096: return kPage;
    case Special::k16384: return 16384;
    case Special::k16385: return 16385;
    case Special::k65536: return 65536;
    case Special::kI32Max: return 0x7fff'ffffU;
    case Special::kI32Min: return 0x8000'0000U;
    case Special::kU32Max: return 0xffff'ffffU;
    case Special::kU32MaxMinus1: return 0xffff'fffeU;
    case Special::kU32MaxMinus3: return 0xffff'fffcU;
    case Special::kRegionSize: return size;
    case Special::kRegionSizeMinus1: return size - 1;
    case Special::kRegionSizeMinus4: return size - 4;
    case Special::kRegionSizeMinus8: return size - 8;
    case Special::kRegionSizeMinus1084: return size - static_cast<std::uint32_t>(sizeof(b7::KvmfrFrame));
    case Special::kRegionSizeMinus4096: return size - kPage;
    case Special::kRegionHalf: return size / 2;
    case Special::kSlot0: return layout_.slots[0];
    case Special::kSlot1: return layout_.slots[1];
    case Special::kShape0: return layout_.shapes[0];
    case Special::kUdataOffset: return static_cast<std::uint32_t>(b7::kUdataOffset);
    case Special::kHeaderSize: return sizeof(b7::LgmpHeader);
    case Special::kCount: break;
      // clang-format on
  }
  return 0;
}

std::uint32_t Session::pick_value(ByteReader& in, std::uint32_t current) const {
  const std::uint8_t v = in.u8();
  if (v < kDeltaFirst) return special(static_cast<Special>(v));
  if (v < kRawValue) return current + static_cast<std::uint32_t>(v - kDeltaFirst) - 32U;
  return in.u32();
}

void Session::op_write(ByteReader& in) {
  const auto target = static_cast<Target>(in.u8() % static_cast<std::uint8_t>(Target::kCount));
  const std::uint64_t at = pick_offset(in, target, false);
  const auto data = in.bytes(1U + in.u8() % 64U);
  poke(at, data.data(), data.size());
  clean_ = false;
}

void Session::op_set32(ByteReader& in) {
  const auto target = static_cast<Target>(in.u8() % static_cast<std::uint8_t>(Target::kCount));
  const std::uint64_t at = pick_offset(in, target, true);
  poke32(at, pick_value(in, peek32(at)));
  clean_ = false;
}

void Session::op_post_raw(ByteReader& in) {
  const QueueView q = queue(in.u8() % b7::kMaxQueues);
  const std::uint64_t record =
      q.ring + std::uint64_t{q.slots == 0 ? 0 : q.position % q.slots} * sizeof(b7::LgmpMessage);
  b7::LgmpMessage message{};
  message.udata = pick_value(in, peek32(record + offsetof(b7::LgmpMessage, udata)));
  message.offset = pick_value(in, peek32(record + offsetof(b7::LgmpMessage, offset)));
  message.size = pick_value(in, peek32(record + offsetof(b7::LgmpMessage, size)));
  message.pending_subs =
      static_cast<std::uint32_t>(peek64(q.base + offsetof(b7::LgmpQueue, subs)) >> 32);
  clean_ = false;
  if (q.slots == 0) return;
  poke(record, &message, sizeof message);
  poke32(q.base + offsetof(b7::LgmpQueue, position), (q.position + 1) % q.slots);
}

}  // namespace

void configure(const HarnessOptions& options) {
  g_options = options;
}

void run_input(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // the consumer logs every rejection
    return true;
  }();
  (void)quiet;
  const TimePoint start = Clock::now();
  {
    ByteReader in(data, size);
    const std::uint8_t mode = in.u8();
    Session session;
    if (mode >= kRawModeFirst) {
      session.run_raw(in);
    } else {
      session.run_structured(in, mode);
    }
  }
  if (g_options.trace) {
    std::fprintf(stderr, "trace: %zu bytes in %.3f ms\n", size, to_ms(Clock::now() - start));
  }
}

}  // namespace periscope::fuzz
