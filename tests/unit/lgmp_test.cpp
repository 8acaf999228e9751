// LGMP host and client rules: subscribe, post, acknowledge, time-outs, the mailbox, versions.
#include <gtest/gtest.h>

#include <cstring>

#include "common/mapped_region.hpp"
#include "relay/lgmp_client.hpp"
#include "relay/lgmp_host.hpp"

namespace periscope::lgmp {
namespace {

class Lgmp : public ::testing::Test {
 protected:
  void SetUp() override {
    auto region = MappedRegion::anonymous(1 << 20);
    ASSERT_TRUE(region);
    region_ = std::move(*region);
    auto host = Host::create(view(), {{7, 2, 1000}}, {std::byte{1}, std::byte{2}}, 1000);
    ASSERT_TRUE(host);
    host_.emplace(std::move(*host));
  }
  SharedRegion view() { return SharedRegion(region_.bytes()); }
  Result<Subscription> subscribe() {
    return Subscription::subscribe(view(), 7, 1, Milliseconds(2));
  }

  MappedRegion region_;
  std::optional<Host> host_;
};

TEST_F(Lgmp, NoSubscriberNoPost) {
  EXPECT_EQ(host_->post(0, 0, 100, 16, 1000), PostResult::kNoSubscribers);
}

TEST_F(Lgmp, PostPeekAckRetires) {
  auto sub = subscribe();
  ASSERT_TRUE(sub);
  EXPECT_EQ(host_->process(1001).new_subscribers[0], 1U);
  ASSERT_EQ(host_->post(0, 5, 100, 16, 1001), PostResult::kPosted);
  ASSERT_EQ(host_->post(0, 6, 200, 16, 1001), PostResult::kPosted);
  EXPECT_EQ(host_->post(0, 7, 300, 16, 1001), PostResult::kFull) << "queue length 2";
  auto msg = sub->peek();
  ASSERT_TRUE(msg && *msg);
  EXPECT_EQ((*msg)->udata, 5U);
  EXPECT_EQ((*msg)->offset, 100U);
  sub->ack();
  EXPECT_EQ(host_->pending(0), 1U) << "the last reader retires the message itself";
  sub->ack();
  EXPECT_EQ(host_->pending(0), 0U);
  auto empty = sub->peek();
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty);
}

TEST_F(Lgmp, ASlowSubscriberIsTimedOutThenReclaimed) {
  auto sub = subscribe();
  ASSERT_TRUE(sub);
  ASSERT_EQ(host_->post(0, 0, 100, 16, 1000), PostResult::kPosted);
  host_->process(1500);
  EXPECT_EQ(host_->pending(0), 1U) << "still within maxTime";
  host_->process(2100);
  EXPECT_EQ(host_->pending(0), 0U) << "retired after 1000 ms without an ack";
  auto timed_out = sub->peek();
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kTimeout);
  EXPECT_FALSE(host_->has_subscribers(0));
  // Its slot comes back once its timeout has passed the heartbeat.
  host_->process(3200);
  auto again = subscribe();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id(), sub->id());
}

TEST_F(Lgmp, ThirtyTwoSubscribersAtMost) {
  std::vector<Subscription> subs;
  for (int i = 0; i < 32; ++i) {
    auto s = subscribe();
    ASSERT_TRUE(s) << i;
    subs.push_back(std::move(*s));
  }
  auto extra = subscribe();
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, ErrorCode::kBusy);
  subs.pop_back();  // unsubscribes
  EXPECT_TRUE(subscribe());
}

TEST_F(Lgmp, AHeldLockIsABoundedWait) {
  auto& lock = reinterpret_cast<b7::LgmpHeader*>(region_.data())->queues[0].lock;
  std::atomic_ref(lock).store(1);
  const TimePoint start = Clock::now();
  auto sub = subscribe();
  EXPECT_FALSE(sub);
  EXPECT_LT(Clock::now() - start, Milliseconds(100));
  EXPECT_EQ(host_->post(0, 0, 0, 0, 1000), PostResult::kLockBusy);
  // A lock held for over a second: the host starts a new session rather than stall forever.
  const auto session = host_->session_id();
  host_->process(1001);
  EXPECT_TRUE(host_->process(2500).reinitialised);
  EXPECT_NE(host_->session_id(), session);
}

TEST_F(Lgmp, MailboxCarriesMessagesToTheHost) {
  auto sub = subscribe();
  ASSERT_TRUE(sub);
  const char text[] = "hello";
  ASSERT_TRUE(sub->send(std::as_bytes(std::span(text)), Milliseconds(2)));
  const auto tick = host_->process(1001);
  ASSERT_EQ(tick.mailbox.size(), 1U);
  EXPECT_EQ(tick.mailbox[0].size, sizeof text);
  EXPECT_EQ(std::memcmp(tick.mailbox[0].data.data(), text, sizeof text), 0);
  std::array<std::byte, 65> too_big{};
  EXPECT_FALSE(sub->send(too_big, Milliseconds(2)));
}

TEST_F(Lgmp, OtherVersionsAreRefusedByName) {
  auto& header = *reinterpret_cast<b7::LgmpHeader*>(region_.data());
  header.version = 5;  // B6
  auto snap = read_header(view(), 4096);
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().code, ErrorCode::kVersionMismatch);
  EXPECT_NE(snap.error().message.find("version 5"), std::string::npos);
  EXPECT_NE(snap.error().message.find("version 6"), std::string::npos);
  // The host notices its header changed and rebuilds it.
  EXPECT_TRUE(host_->process(1001).reinitialised);
  EXPECT_TRUE(read_header(view(), 4096));
}

}  // namespace
}  // namespace periscope::lgmp
