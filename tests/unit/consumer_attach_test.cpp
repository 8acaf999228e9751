// A consumer that attaches while a producer initialises, or watches one restart, sees "not
// ready yet" and then the session: never a rejected message, never a session it refuses for
// good. Rejections stay for data a correct producer never shows (see docs/relay.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/mapped_region.hpp"
#include "relay/consumer.hpp"
#include "relay/kvmfr_udata.hpp"
#include "relay/layout.hpp"
#include "relay/producer.hpp"

namespace periscope {
namespace {

constexpr std::size_t kRegionBytes = 1 << 20;
constexpr std::uint32_t kFrameWidth = 64;
constexpr std::uint32_t kFrameHeight = 48;
constexpr std::uint32_t kFramePitch = kFrameWidth * 4;

struct Recorder : ConsumerEvents {
  std::map<std::string, int> rejections;
  std::vector<std::uint32_t> serials;
  void on_rejected(std::string_view reason) override { ++rejections[std::string(reason)]; }
  void on_frame(const Frame& frame, const FrameTiming& /*timing*/) override {
    serials.push_back(frame.info.serial);
  }
  [[nodiscard]] std::string describe() const {
    std::string text;
    for (const auto& [reason, n] : rejections) text += std::to_string(n) + " x " + reason + "\n";
    return text;
  }
};

std::uint32_t align8(std::uint64_t value) {
  return static_cast<std::uint32_t>((value + 7) / 8 * 8);
}

// A stand-in for the Looking Glass B7 host, whose initialisation order we cannot change. It
// makes one shared-memory store per step, in the order the B7 host makes them: a new session
// id first, then magic, timestamp, version, numQueues = 0 and the user data; then each queue
// (the frame queue first), counted in numQueues before its fields are written; the rings are
// not cleared. Its heartbeat only starts once all of that is done. So a reader can see the new
// session id, a timestamp that moved, and queues that are still the previous session's or half
// written: the states a consumer must read as "not ready yet".
class B7OrderHost {
 public:
  static constexpr std::size_t kFrameQueue = 0;
  static constexpr std::size_t kPointerQueue = 1;

  explicit B7OrderHost(SharedRegion region)
      : region_(region), udata_(b7::build_kvmfr_udata(b7::KvmfrInfo{"B7", 0, {}, {}, 0})) {
    rings_[kFrameQueue] = align8(b7::kUdataOffset + udata_.size());
    rings_[kPointerQueue] = rings_[kFrameQueue] + (b7::kFrameQueueLength + 1) * 16;
    cursor_ = align8(rings_[kPointerQueue] + (b7::kPointerQueueLength + 1) * 16);
    slots_[0] = 16 * 4096;
    slots_[1] = 32 * 4096;
  }

  // Where the user data goes: the LGMP host writes it right after the header fields; the spec
  // lists it after the queues. Both orders are checked.
  enum class Order { kLgmpHost, kSpecText };

  // The initialisation, one store a step.
  std::vector<std::function<void()>> init_steps(std::uint64_t now_ms, Order order) {
    auto& h = header();
    std::vector<std::function<void()>> steps;
    steps.emplace_back([this, &h] {
      const std::uint32_t old = field(h.session_id).load();
      session_ = old + 0x01010101U;
      field(h.session_id).store(session_);
    });
    steps.emplace_back([&h] { field(h.magic).store(b7::kLgmpMagic); });
    const auto timestamp = [&h, now_ms] { field(h.timestamp).store(now_ms); };
    const auto version = [&h] { field(h.version).store(b7::kLgmpVersion); };
    if (order == Order::kLgmpHost) {
      steps.emplace_back(timestamp);
      steps.emplace_back(version);
    } else {
      steps.emplace_back(version);
      steps.emplace_back(timestamp);
    }
    steps.emplace_back([&h] { field(h.num_queues).store(0); });
    const std::vector<std::function<void()>> udata = {
        [this, &h] { field(h.udata_size).store(static_cast<std::uint32_t>(udata_.size())); },
        [this] { std::memcpy(region_.base() + b7::kUdataOffset, udata_.data(), udata_.size()); }};
    if (order == Order::kLgmpHost) steps.insert(steps.end(), udata.begin(), udata.end());
    const std::uint32_t ids[2] = {b7::kQueueFrame, b7::kQueuePointer};
    const std::uint32_t lengths[2] = {b7::kFrameQueueLength, b7::kPointerQueueLength};
    for (std::size_t i = 0; i < 2; ++i) {
      auto& q = h.queues[i];
      const std::uint32_t slots = lengths[i] + 1;
      const std::uint32_t ring = rings_[i];
      steps.emplace_back([&h, i] { field(h.num_queues).store(static_cast<std::uint32_t>(i + 1)); });
      steps.emplace_back([&q, id = ids[i]] { field(q.queue_id).store(id); });
      steps.emplace_back([&q, slots] { field(q.num_messages).store(slots); });
      steps.emplace_back([&q] { field(q.new_sub_count).store(0); });
      steps.emplace_back([&q] { field(q.lock).store(0); });
      steps.emplace_back([&q] { field(q.subs).store(0); });
      steps.emplace_back([&q, this, i] {
        position_[i] = 0;
        field(q.position).store(0);
      });
      steps.emplace_back([&q, ring] { field(q.messages_offset).store(ring); });
      steps.emplace_back([&q] { field(q.start).store(0); });
      steps.emplace_back([&q] { field(q.msg_timeout).store(0); });
      steps.emplace_back([&q] { field(q.max_time_ms).store(b7::kQueueMaxTimeMs); });
      steps.emplace_back([&q] { field(q.count).store(0); });
      steps.emplace_back([&q] {
        field(q.c_msg_avail).store(b7::kMailboxSlots);
        field(q.c_msg_wpos).store(0);
      });
    }
    if (order == Order::kSpecText) steps.insert(steps.end(), udata.begin(), udata.end());
    return steps;
  }

  void initialise(std::uint64_t now_ms) {
    for (auto& step : init_steps(now_ms, Order::kLgmpHost)) step();
  }

  // lgmpHostProcess: the heartbeat, then retire what every subscriber acknowledged.
  void heartbeat(std::uint64_t now_ms) {
    auto& h = header();
    field(h.timestamp).store(now_ms);
    for (std::size_t i = 0; i < 2; ++i) {
      auto& q = h.queues[i];
      const std::uint64_t subs = field(q.subs).load();
      const auto on = static_cast<std::uint32_t>(subs >> 32);
      while (field(q.count).load() > 0) {
        const std::uint32_t start = field(q.start).load();
        auto* record = ring(i) + start;
        if ((field(record->pending_subs).load() & on) != 0) break;
        field(q.start).store((start + 1) % field(q.num_messages).load());
        field(q.count).fetch_sub(1);
      }
    }
  }

  // A frame in the next slot, then its message (nothing when nobody listens). `written`: how
  // far its write pointer is (all of it by default); `type` can be made invalid.
  bool post_frame(std::uint32_t serial, std::uint32_t written = kFramePitch * kFrameHeight,
                  std::uint32_t type = static_cast<std::uint32_t>(b7::FrameType::kBgra)) {
    const std::uint32_t slot = slots_[serial % 2];
    b7::KvmfrFrame frame{};
    frame.format_ver = 1;
    frame.frame_serial = serial;
    frame.type = type;
    frame.screen_width = frame.data_width = frame.frame_width = kFrameWidth;
    frame.screen_height = frame.data_height = frame.frame_height = kFrameHeight;
    frame.stride = kFrameWidth;
    frame.pitch = kFramePitch;
    frame.offset = b7::kFrameBufferOffset;
    (void)region_.copy_in(slot, frame);
    std::memset(region_.base() + slot + b7::kPageBytes, static_cast<int>(serial & 0xff),
                std::size_t{kFramePitch} * kFrameHeight);
    wp(serial).store(written, std::memory_order_release);
    return post(kFrameQueue, 0, slot, 2 * 4096 * 4);
  }
  // The write pointer of the slot frame `serial` went to.
  std::atomic_ref<std::uint32_t> wp(std::uint32_t serial) const {
    return *region_.atomic<std::uint32_t>(slots_[serial % 2] + b7::kFrameBufferOffset);
  }
  // The first store of a restart: a new session id.
  void begin_restart() {
    session_ += 0x01010101U;
    field(header().session_id).store(session_);
  }
  [[nodiscard]] const b7::LgmpQueue& queue(std::size_t index) const {
    return header().queues[index];
  }

  bool post_cursor(std::int16_t x) {
    b7::KvmfrCursor cursor{};
    cursor.x = x;
    (void)region_.copy_in(cursor_, cursor);
    return post(kPointerQueue, b7::kCursorFlagPosition | b7::kCursorFlagVisible, cursor_,
                sizeof cursor);
  }

  [[nodiscard]] std::uint32_t session() const { return session_; }

 private:
  template <typename T>
  static std::atomic_ref<T> field(T& value) {
    return std::atomic_ref<T>(value);
  }
  b7::LgmpHeader& header() const { return *reinterpret_cast<b7::LgmpHeader*>(region_.base()); }
  b7::LgmpMessage* ring(std::size_t queue) const {
    return reinterpret_cast<b7::LgmpMessage*>(region_.base() + rings_[queue]);
  }

  bool post(std::size_t queue, std::uint32_t udata, std::uint32_t offset, std::uint32_t size) {
    auto& q = header().queues[queue];
    const std::uint64_t subs = field(q.subs).load();
    const auto pending = static_cast<std::uint32_t>(subs >> 32) & ~static_cast<std::uint32_t>(subs);
    const std::uint32_t slots = field(q.num_messages).load();
    if (pending == 0 || field(q.count).load() == slots - 1) return false;
    auto* record = ring(queue) + position_[queue];
    field(record->udata).store(udata);
    field(record->size).store(size);
    field(record->offset).store(offset);
    field(record->pending_subs).store(pending);
    field(q.count).fetch_add(1);
    position_[queue] = (position_[queue] + 1) % slots;
    field(q.position).store(position_[queue], std::memory_order_release);
    return true;
  }

  SharedRegion region_;
  std::vector<std::byte> udata_;
  std::uint32_t rings_[2]{};
  std::uint32_t position_[2]{};
  std::uint32_t cursor_{0};
  std::uint32_t slots_[2]{};
  std::uint32_t session_{0x1234};
};

class B7HostInit : public ::testing::Test {
 protected:
  void SetUp() override {
    auto region = MappedRegion::anonymous(kRegionBytes);
    ASSERT_TRUE(region);
    region_ = std::move(*region);
  }
  SharedRegion view() { return SharedRegion(region_.bytes()); }

  // A previous session that ran with a subscriber: positions, subscriber bits, ring records
  // and the frame slots all hold that session's values when the next one starts. The
  // subscriber is left in `consumer` (still running, it sees the host restart).
  void run_previous_session(B7OrderHost& host, std::optional<Consumer>& consumer) {
    host.initialise(now_ms_);
    consumer.emplace(view());
    Recorder events;
    for (int i = 0; i < 4; ++i) {
      host.heartbeat(++now_ms_);
      consumer->poll(tick(), events);
    }
    ASSERT_EQ(consumer->state(), Consumer::State::kRunning);
    for (std::uint32_t serial = 1; serial <= 7; ++serial) {
      host.post_frame(serial);
      host.post_cursor(static_cast<std::int16_t>(serial));
      while (consumer->poll(tick(), events)) {
      }
      host.heartbeat(++now_ms_);
    }
    ASSERT_EQ(consumer->stats().frames, 7U);
  }

  TimePoint tick() {
    clock_ += Milliseconds(1);
    return clock_;
  }

  struct Outcome {
    bool rejected{false};   // counted a rejected message
    bool restarted{false};  // started a session and dropped it again (it started too early)
    bool missed{false};     // not running the new session with its newest frame at the end
    std::string detail;
  };

  // Runs the new session's initialisation; `poll_after(step)` says after which steps the
  // consumer polls. Then the host runs: heartbeats, a frame and a cursor message each.
  // A consumer that is already there keeps polling; otherwise one attaches at `attach_at`.
  Outcome check(B7OrderHost& host, B7OrderHost::Order order, std::optional<Consumer>& consumer,
                std::size_t attach_at, const std::function<bool(std::size_t)>& poll_after) {
    Recorder events;
    auto steps = host.init_steps(++now_ms_, order);
    const std::uint64_t rejected_before = consumer ? consumer->stats().rejected_messages : 0;
    const std::uint64_t sessions_before = consumer ? consumer->stats().sessions : 0;
    for (std::size_t i = 0; i <= steps.size(); ++i) {
      if (i == attach_at && !consumer) consumer.emplace(view());
      if (consumer && poll_after(i)) {
        while (consumer->poll(tick(), events)) {
        }
      }
      if (i < steps.size()) steps[i]();
    }
    for (std::uint32_t serial = 101; serial <= 108; ++serial) {
      host.heartbeat(++now_ms_);
      while (consumer->poll(tick(), events)) {
      }
      host.post_frame(serial);
      host.post_cursor(static_cast<std::int16_t>(serial));
      while (consumer->poll(tick(), events)) {
      }
    }
    const auto& stats = consumer->stats();
    Outcome outcome;
    outcome.rejected = stats.rejected_messages != rejected_before;
    outcome.restarted = stats.sessions - sessions_before > 1;
    outcome.missed = consumer->state() != Consumer::State::kRunning ||
                     consumer->session()->session_id != host.session() || events.serials.empty() ||
                     events.serials.back() != 108;
    outcome.detail =
        fmt::format("{} rejected, {} sessions started, state {}, last error \"{}\"\n{}",
                    stats.rejected_messages - rejected_before, stats.sessions - sessions_before,
                    static_cast<int>(consumer->state()), stats.last_error, events.describe());
    return outcome;
  }

  MappedRegion region_;
  std::uint64_t now_ms_{5000};
  TimePoint clock_{Milliseconds(1'000'000)};
};

// Every way of looking at the B7 host's initialisation: attached before it or at any step,
// looking after every step or only after some, over a zeroed region or one a previous session
// left behind, or still subscribed to that previous session; with the user data written
// before or after the queues.
TEST_F(B7HostInit, EveryIntermediateStateReadsAsNotReady) {
  enum class Before { kZeroed, kUsed, kRunning };
  const char* before_names[] = {"zeroed region", "used region", "consumer of the last session"};
  const char* order_names[] = {"LGMP host order", "spec order"};
  int scenarios = 0;
  std::map<std::string, std::pair<int, std::string>> failures;  // kind: count, first example
  for (const auto order : {B7OrderHost::Order::kLgmpHost, B7OrderHost::Order::kSpecText}) {
    const std::size_t steps = B7OrderHost(view()).init_steps(0, order).size();
    for (const Before before : {Before::kZeroed, Before::kUsed, Before::kRunning}) {
      for (std::size_t attach = 0; attach <= steps; ++attach) {
        if (before == Before::kRunning && attach > 0) break;  // already attached
        for (const std::size_t stride : {1UL, 2UL, 3UL, 5UL, 7UL, 11UL}) {
          for (std::size_t phase = 0; phase < stride; ++phase) {
            std::memset(region_.data(), 0, kRegionBytes);
            B7OrderHost host(view());
            std::optional<Consumer> consumer;
            if (before != Before::kZeroed) run_previous_session(host, consumer);
            if (before == Before::kUsed) consumer.reset();
            const Outcome outcome = check(host, order, consumer, attach, [&](std::size_t step) {
              return step >= attach + phase && (step - attach - phase) % stride == 0;
            });
            ++scenarios;
            const auto note = [&](bool happened, const char* kind) {
              if (!happened) return;
              auto& [count, example] = failures[kind];
              if (count++ == 0) {
                example = fmt::format(
                    "{}, {}, attached at step {} of {}, polling every {} steps from step {}: {}",
                    order_names[static_cast<int>(order)], before_names[static_cast<int>(before)],
                    attach, steps, stride, attach + phase, outcome.detail);
              }
            };
            note(outcome.rejected, "rejected a message");
            note(outcome.restarted, "started the session before it was ready");
            note(outcome.missed, "does not run the new session");
          }
        }
      }
    }
  }
  for (const auto& [kind, failure] : failures) {
    ADD_FAILURE() << kind << " in " << failure.first << " of " << scenarios
                  << " scenarios; the first: " << failure.second;
  }
  EXPECT_GT(scenarios, 2000);
}

// A session that is up and running, for the tests of what happens to single messages.
class RunningSession : public B7HostInit {
 protected:
  void SetUp() override {
    B7HostInit::SetUp();
    host_.emplace(view());
    host_->initialise(now_ms_);
    ConsumerOptions options;
    options.wp_stall_timeout = Milliseconds(2);
    consumer_.emplace(view(), options);
    for (int i = 0; i < 4 && consumer_->state() != Consumer::State::kRunning; ++i) {
      host_->heartbeat(++now_ms_);
      consumer_->poll(tick(), events_);
    }
    ASSERT_EQ(consumer_->state(), Consumer::State::kRunning);
  }
  void drain() {
    while (consumer_->poll(tick(), events_)) {
    }
  }

  std::optional<B7OrderHost> host_;
  std::optional<Consumer> consumer_;
  Recorder events_;
};

// A producer that stops writing in the middle of a frame (preempted, paused with its VM,
// starting cold) is slow, not wrong: the frame is dropped and counted as a stall, the next one
// arrives whole, and nothing is rejected.
TEST_F(RunningSession, AWritePointerThatStopsIsAStallNotARejection) {
  ASSERT_TRUE(host_->post_frame(1, kFramePitch * 10));
  drain();
  EXPECT_EQ(consumer_->stats().wp_stalls, 1U);
  EXPECT_EQ(consumer_->stats().rejected_messages, 0U) << events_.describe();
  EXPECT_TRUE(events_.serials.empty());
  host_->wp(1).store(kFramePitch * kFrameHeight);
  host_->heartbeat(++now_ms_);
  ASSERT_TRUE(host_->post_frame(2));
  drain();
  ASSERT_EQ(events_.serials, std::vector<std::uint32_t>{2});
  EXPECT_EQ(consumer_->state(), Consumer::State::kRunning);
}

// What a correct producer never writes is still rejected and counted while its session is
// the current one: here a frame of an unknown type, and a message outside the region.
TEST_F(RunningSession, MalformedMessagesOfTheCurrentSessionAreRejected) {
  ASSERT_TRUE(host_->post_frame(1, kFramePitch * kFrameHeight, 99));
  drain();
  EXPECT_EQ(consumer_->stats().rejected_messages, 1U);
  EXPECT_EQ(events_.rejections.begin()->first, "frame type 99");
  host_->heartbeat(++now_ms_);
  ASSERT_TRUE(host_->post_frame(2));
  drain();
  EXPECT_EQ(events_.serials, std::vector<std::uint32_t>{2});
  EXPECT_EQ(consumer_->stats().session_restarts, 0U);
}

// A message that turns to garbage because the producer restarts while we read it is the
// restart, not a violation: the session ends, nothing is counted as rejected, and nothing is
// acknowledged into the next session's queue.
TEST_F(RunningSession, AMessageReadWhileTheProducerRestartsIsNotARejection) {
  struct RestartOnCursor : Recorder {
    B7OrderHost* host = nullptr;
    void on_cursor(const CursorState& /*cursor*/) override { host->begin_restart(); }
  } events;
  events.host = &*host_;
  // The cursor message is handled first; as it is, the producer restarts, and the frame
  // message read next finds what the restart left (here, a frame of no valid type).
  ASSERT_TRUE(host_->post_cursor(5));
  ASSERT_TRUE(host_->post_frame(1, kFramePitch * kFrameHeight, 0));
  const std::uint32_t start = host_->queue(B7OrderHost::kFrameQueue).start;
  const std::uint32_t pending = host_->queue(B7OrderHost::kFrameQueue).count;
  while (consumer_->poll(tick(), events)) {
  }
  EXPECT_EQ(consumer_->stats().rejected_messages, 0U) << events.describe();
  EXPECT_EQ(consumer_->stats().session_restarts, 1U);
  EXPECT_NE(consumer_->state(), Consumer::State::kRunning);
  EXPECT_EQ(host_->queue(B7OrderHost::kFrameQueue).start, start);
  EXPECT_EQ(host_->queue(B7OrderHost::kFrameQueue).count, pending);
}

// Our own producer, restarted over and over (as a guest agent that exits and comes back)
// while consumers poll and come and go at random moments, on real threads.
TEST(ProducerRestarts, ConsumersAttachedAtAnyMomentRejectNothing) {
  auto region = MappedRegion::anonymous(8 * 1024 * 1024);
  ASSERT_TRUE(region);
  const SharedRegion shared(region->bytes());
  std::atomic<bool> stop{false};
  std::atomic<int> restarts{0};
  std::thread producer_thread([&] {
    std::mt19937 rng(1);
    std::vector<std::byte> pixels(std::size_t{kFramePitch} * kFrameHeight, std::byte{0x40});
    std::vector<std::byte> shape_pixels(8 * 32, std::byte{0xff});
    const CursorImage shape{b7::CursorType::kColor, 8, 8, 32, 0, 0, shape_pixels};
    while (!stop.load()) {
      ProducerOptions options;
      options.info.hostver = "test";
      auto producer = Producer::create(shared, options);
      if (!producer) break;
      ++restarts;
      const int frames = static_cast<int>(rng() % 20);
      for (int i = 0; i < frames && !stop.load(); ++i) {
        CursorUpdate cursor;
        cursor.position = {{static_cast<std::int16_t>(i), 3}};
        if (i == 0) cursor.shape = shape;
        (void)(*producer)->write_cursor(cursor);
        (void)(*producer)->write_frame({b7::FrameType::kBgra, kFrameWidth, kFrameHeight},
                                       pixels.data(), kFramePitch, {}, Milliseconds(20));
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
      }
    }
  });
  Recorder events;
  std::uint64_t rejected = 0;
  std::uint64_t sessions = 0;
  std::mt19937 rng(2);
  const TimePoint end = Clock::now() + Milliseconds(1500);
  while (Clock::now() < end) {
    Consumer consumer(shared);
    const TimePoint until = Clock::now() + std::chrono::microseconds(rng() % 50000);
    while (Clock::now() < until) {
      while (consumer.poll(Clock::now(), events)) {
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    rejected += consumer.stats().rejected_messages;
    sessions += consumer.stats().sessions;
  }
  stop = true;
  producer_thread.join();
  EXPECT_EQ(rejected, 0U) << restarts.load() << " producer sessions, " << sessions
                          << " consumer sessions\n"
                          << events.describe();
  EXPECT_GT(sessions, 0U);
}

}  // namespace
}  // namespace periscope
