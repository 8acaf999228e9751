// Producer and consumer in one process over a private mapping: the protocol round trip.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "common/mapped_region.hpp"
#include "relay/consumer.hpp"
#include "relay/producer.hpp"

namespace periscope {
namespace {

struct Recorder : ConsumerEvents {
  std::vector<std::uint32_t> serials;
  std::vector<bool> damage_only;
  int sessions = 0;
  int ends = 0;
  int cursors = 0;
  void on_session_start(const SessionInfo&) override { ++sessions; }
  void on_session_end(std::string_view) override { ++ends; }
  void on_frame(const Frame& f, const FrameTiming& t) override {
    serials.push_back(f.info.serial);
    damage_only.push_back(t.damage_only);
  }
  void on_cursor(const CursorState&) override { ++cursors; }
};

class RelayRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    auto region = MappedRegion::anonymous(32 * 1024 * 1024);
    ASSERT_TRUE(region);
    region_ = std::move(*region);
    ProducerOptions options;
    options.info.hostver = "test";
    options.info.features = b7::kKvmfrFeatureSetCursorPos;
    options.heartbeat_thread = false;
    auto producer = Producer::create(SharedRegion(region_.bytes()), options);
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
    consumer_ = std::make_unique<Consumer>(SharedRegion(region_.bytes()));
  }

  // Ticks the producer and polls the consumer until `done` or ~2 s pass.
  template <typename Pred>
  bool pump(Pred done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
      producer_->tick();
      while (consumer_->poll(Clock::now(), events_)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
  }

  std::vector<std::byte> pattern(std::uint32_t w, std::uint32_t h, std::uint8_t seed) {
    std::vector<std::byte> px(std::size_t{w} * h * 4);
    for (std::size_t i = 0; i < px.size(); ++i)
      px[i] = std::byte(static_cast<std::uint8_t>(i * 7 + seed));
    return px;
  }

  MappedRegion region_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  Recorder events_;
};

TEST_F(RelayRoundTrip, FramesArriveWholeThenAsDamage) {
  ASSERT_TRUE(pump([&] { return consumer_->state() == Consumer::State::kRunning; }));
  ASSERT_TRUE(pump([&] { return producer_->has_frame_subscribers(); }));
  const FrameDesc desc{b7::FrameType::kBgra, 64, 48};
  auto a = pattern(64, 48, 1);
  auto w = producer_->write_frame(desc, a.data(), 64 * 4, {}, Milliseconds(100));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->post, FramePost::kPosted);
  ASSERT_TRUE(pump([&] { return events_.serials.size() == 1; }));
  EXPECT_EQ(0, std::memcmp(consumer_->frame().pixels.data(), a.data(), a.size()));

  // Change one 8x4 block and say so.
  auto b = a;
  for (std::uint32_t y = 10; y < 14; ++y)
    for (std::uint32_t x = 4 * 20; x < 4 * 28; ++x) b[y * 256 + x] = std::byte{0xAB};
  const b7::DamageRect rect{20, 10, 8, 4};
  ASSERT_TRUE(producer_->write_frame(desc, b.data(), 64 * 4, {&rect, 1}, Milliseconds(100)));
  ASSERT_TRUE(pump([&] { return events_.serials.size() == 2; }));
  // It lands in a fresh buffer of the consumer's ring (the first frame's is the one a window
  // may be showing), so it is copied whole; so is the third.
  EXPECT_FALSE(events_.damage_only[1]);
  EXPECT_EQ(0, std::memcmp(consumer_->frame().pixels.data(), b.data(), b.size()));

  // The third frame lands in slot 0, which lacks the second frame's change: the producer must
  // copy both the old and the new damage there.
  auto c = b;
  for (std::uint32_t x = 0; x < 16; ++x) c[40 * 256 + x] = std::byte{0x11};
  const b7::DamageRect rect2{0, 40, 4, 1};
  ASSERT_TRUE(producer_->write_frame(desc, c.data(), 64 * 4, {&rect2, 1}, Milliseconds(100)));
  ASSERT_TRUE(pump([&] { return events_.serials.size() == 3; }));
  EXPECT_EQ(0, std::memcmp(consumer_->frame().pixels.data(), c.data(), c.size()));

  // The fourth reuses the ring buffer holding the second frame: caught up by copying the third
  // frame's damage and its own, not the whole frame.
  auto d = c;
  for (std::uint32_t x = 100; x < 140; ++x) d[2 * 256 + x] = std::byte{0x22};
  const b7::DamageRect rect3{25, 2, 10, 1};
  ASSERT_TRUE(producer_->write_frame(desc, d.data(), 64 * 4, {&rect3, 1}, Milliseconds(100)));
  ASSERT_TRUE(pump([&] { return events_.serials.size() == 4; }));
  EXPECT_TRUE(events_.damage_only[3]);
  EXPECT_EQ(0, std::memcmp(consumer_->frame().pixels.data(), d.data(), d.size()));
  c = d;
  // A fresh consumer copying slot 0 whole sees the same picture.
  Consumer late(SharedRegion(region_.bytes()));
  Recorder late_events;
  for (int i = 0; i < 500 && late_events.serials.empty(); ++i) {
    producer_->tick();
    while (late.poll(Clock::now(), late_events)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(late_events.serials.size(), 1U) << "a new subscriber gets the last frame re-posted";
  EXPECT_EQ(late_events.serials[0], 4U);
  EXPECT_EQ(0, std::memcmp(late.frame().pixels.data(), c.data(), c.size()));
}

// A viewer two frames behind: the producer drops a frame rather than overwrite a slot being
// read. The viewer must still end up with exactly the newest picture.
TEST_F(RelayRoundTrip, ADroppedFrameIsNeverLostFromThePicture) {
  ASSERT_TRUE(pump([&] { return consumer_->state() == Consumer::State::kRunning; }));
  ASSERT_TRUE(pump([&] { return producer_->has_frame_subscribers(); }));
  const FrameDesc desc{b7::FrameType::kBgra, 64, 48};
  auto px = pattern(64, 48, 3);
  ASSERT_TRUE(producer_->write_frame(desc, px.data(), 256, {}, Milliseconds(10)));
  // Three damage frames while the consumer does not read: the third finds no free slot.
  std::vector<FramePost> posts;
  for (std::uint32_t i = 0; i < 3; ++i) {
    for (std::uint32_t x = 0; x < 16; ++x) px[(10 + i) * 256 + x] = std::byte{0xEE};
    const b7::DamageRect rect{0, 10 + i, 4, 1};
    auto w = producer_->write_frame(desc, px.data(), 256, {&rect, 1}, Milliseconds(0));
    ASSERT_TRUE(w);
    posts.push_back(w->post);
  }
  EXPECT_EQ(posts.back(), FramePost::kDropped);
  // A fourth frame, once the consumer caught up.
  ASSERT_TRUE(pump([&] { return events_.serials.size() >= 2; }));
  for (std::uint32_t x = 0; x < 16; ++x) px[30 * 256 + x] = std::byte{0x55};
  const b7::DamageRect rect{0, 30, 4, 1};
  ASSERT_TRUE(producer_->write_frame(desc, px.data(), 256, {&rect, 1}, Milliseconds(100)));
  ASSERT_TRUE(pump([&] { return events_.serials.size() >= 3; }));
  EXPECT_FALSE(events_.damage_only.back()) << "after a lost frame the next one is copied whole";
  EXPECT_EQ(0, std::memcmp(consumer_->frame().pixels.data(), px.data(), px.size()));
}

TEST_F(RelayRoundTrip, CursorShapeAndPositionArrive) {
  ASSERT_TRUE(pump([&] { return consumer_->state() == Consumer::State::kRunning; }));
  ASSERT_TRUE(pump([&] { return producer_->has_frame_subscribers(); }));
  std::vector<std::byte> shape(16 * 16 * 4, std::byte{0x7f});
  CursorUpdate update;
  update.position = {{100, 50}};
  update.shape = CursorUpdate::Shape{b7::CursorType::kColor, 16, 16, 64, 2, 3, shape};
  ASSERT_TRUE(producer_->write_cursor(update));
  ASSERT_TRUE(pump([&] { return events_.cursors >= 1; }));
  ASSERT_TRUE(consumer_->cursor().shape);
  EXPECT_EQ(consumer_->cursor().shape->width, 16U);
  EXPECT_EQ(consumer_->cursor().shape->hotspot_y, 3);
  EXPECT_EQ(consumer_->cursor().x, 100);
  CursorUpdate move;
  move.position = {{120, 70}};
  ASSERT_TRUE(producer_->write_cursor(move));
  ASSERT_TRUE(pump([&] { return consumer_->cursor().x == 120; }));
  EXPECT_EQ(consumer_->cursor().y, 70);
  EXPECT_TRUE(consumer_->cursor().visible);

  ASSERT_TRUE(consumer_->set_cursor_position(5, 6));
  std::vector<CursorPositionRequest> requests;
  ASSERT_TRUE(pump([&] {
    auto r = producer_->take_cursor_position_requests();
    requests.insert(requests.end(), r.begin(), r.end());
    return !requests.empty();
  }));
  EXPECT_EQ(requests[0].x, 5);
  EXPECT_EQ(requests[0].y, 6);
}

TEST_F(RelayRoundTrip, ProducerRestartIsDetectedAndResubscribed) {
  ASSERT_TRUE(pump([&] { return consumer_->state() == Consumer::State::kRunning; }));
  const auto first = consumer_->session()->session_id;
  // A wiped header: the producer rebuilds it under a new session id.
  std::memset(region_.data(), 0, 64);
  ASSERT_TRUE(pump([&] { return events_.ends == 1; }));
  ASSERT_TRUE(pump([&] { return consumer_->state() == Consumer::State::kRunning; }));
  EXPECT_NE(consumer_->session()->session_id, first);
  EXPECT_EQ(consumer_->stats().session_restarts, 1U);
}

TEST_F(RelayRoundTrip, StoppedHeartbeatEndsTheSession) {
  ASSERT_TRUE(pump([&] { return consumer_->state() == Consumer::State::kRunning; }));
  // No more ticks: after the heartbeat timeout the consumer gives up.
  const TimePoint later = Clock::now() + Milliseconds(1500);
  consumer_->poll(Clock::now(), events_);
  consumer_->poll(later, events_);
  EXPECT_EQ(events_.ends, 1);
  EXPECT_NE(consumer_->state(), Consumer::State::kRunning);
}

}  // namespace
}  // namespace periscope
