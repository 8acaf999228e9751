// FrameRing: the writer never touches what the reader holds, and the damage both sides are
// told is exactly what changed since the frame they have.
#include "relay/frame_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace periscope {
namespace {

b7::TexelRect rect(std::uint32_t x, std::uint32_t y) {
  return b7::TexelRect{x, y, 1, 1};
}

FrameRing::Damage damage(std::initializer_list<b7::TexelRect> rects) {
  return std::vector<b7::TexelRect>(rects);
}

// Publishes one frame whose own damage is `own`.
const Frame* write(FrameRing& ring, const FrameRing::Damage& own) {
  Frame& frame = ring.begin_write();
  ring.publish(own);
  return &frame;
}

std::vector<std::uint32_t> xs(const FrameRing::Damage& d) {
  std::vector<std::uint32_t> out;
  for (const auto& r : *d) out.push_back(r.x);
  return out;
}

TEST(FrameRing, FreshBuffersAreCopiedWholeThenCaughtUpWithWhatTheyMissed) {
  FrameRing ring;
  ring.begin_write();
  EXPECT_FALSE(ring.catch_up_damage(damage({rect(1, 0)}))) << "an empty buffer needs everything";
  ring.publish(std::nullopt);  // generation 1
  write(ring, damage({rect(2, 0)}));
  write(ring, damage({rect(3, 0)}));  // generation 3; buffers hold 1, 2, 3
  ring.begin_write();                 // the one holding 2 (the freshest that is not the latest)
  EXPECT_EQ(ring.write_target_generation(), 2U);
  const auto d = ring.catch_up_damage(damage({rect(4, 0)}));
  ASSERT_TRUE(d);
  EXPECT_EQ(xs(d), (std::vector<std::uint32_t>{3, 4}));
  ring.publish(damage({rect(4, 0)}));
  EXPECT_EQ(ring.latest_generation(), 4U);
}

TEST(FrameRing, AFullFrameInBetweenMeansCopyEverything) {
  FrameRing ring;
  write(ring, std::nullopt);
  write(ring, damage({rect(2, 0)}));
  write(ring, std::nullopt);  // e.g. the guest said "full damage"
  ring.begin_write();         // holds 2, missed 3
  EXPECT_FALSE(ring.catch_up_damage(damage({rect(4, 0)})));
  EXPECT_FALSE(ring.catch_up_damage(std::nullopt)) << "the frame's own full damage";
}

TEST(FrameRing, InvalidateStopsCatchingUpFromOldContent) {
  FrameRing ring;
  for (std::uint32_t i = 0; i < 3; ++i) write(ring, damage({rect(i, 0)}));
  ring.invalidate();
  ring.begin_write();
  EXPECT_FALSE(ring.write_target_generation());
  EXPECT_FALSE(ring.catch_up_damage(damage({rect(9, 0)})));
  ring.publish(std::nullopt);
  ASSERT_NE(ring.latest(), nullptr) << "the last frame stays readable";
}

TEST(FrameRing, AbandonedWritesAreNeverCaughtUp) {
  FrameRing ring;
  write(ring, std::nullopt);
  {
    auto held = ring.acquire(0);  // so the next frames fill the two other buffers
    write(ring, damage({rect(1, 0)}));
    write(ring, damage({rect(2, 0)}));
  }
  write(ring, damage({rect(3, 0)}));  // every buffer has content now
  Frame& broken = ring.begin_write();
  ASSERT_TRUE(ring.write_target_generation());
  ring.abandon_write();
  // Lease the latest and publish into the other free buffer: the broken one is then the only
  // choice, and what it held must not be caught up from.
  auto lease = ring.acquire(0);
  ASSERT_TRUE(lease);
  Frame& other = ring.begin_write();
  ASSERT_NE(&other, &broken) << "a buffer with content is fresher than a broken one";
  ring.publish(damage({rect(8, 0)}));
  EXPECT_EQ(&ring.begin_write(), &broken);
  EXPECT_FALSE(ring.write_target_generation());
  EXPECT_FALSE(ring.catch_up_damage(damage({rect(9, 0)})));
}

TEST(FrameRing, ABufferTooFarBehindIsCopiedWhole) {
  FrameRing ring;
  write(ring, std::nullopt);  // generation 1 in some buffer
  auto lease = ring.acquire(0);
  ASSERT_TRUE(lease);
  // With one buffer leased the writer alternates between the other two, so the leased one
  // falls behind; once released it is more than kHistory generations behind.
  for (std::size_t i = 0; i < FrameRing::kHistory + 2; ++i) write(ring, damage({rect(1, 1)}));
  const auto* held = &lease->frame();
  lease.reset();
  // Reader: more than kHistory behind -> everything.
  auto second = ring.acquire(1);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->damage());
  second.reset();
  // Writer: the oldest buffer is not picked while a fresher one is free.
  EXPECT_NE(&ring.begin_write(), held);
}

TEST(FrameRing, TheReaderGetsTheDamageSinceWhatItShowsAndNoStaleFrames) {
  FrameRing ring;
  EXPECT_FALSE(ring.acquire(0)) << "nothing published yet";
  write(ring, std::nullopt);
  std::uint64_t have = 0;
  {
    auto lease = ring.acquire(have);
    ASSERT_TRUE(lease);
    EXPECT_FALSE(lease->damage()) << "the first frame is all new";
    have = lease->generation();
  }
  EXPECT_FALSE(ring.acquire(have)) << "nothing newer";
  write(ring, damage({rect(5, 0)}));
  write(ring, damage({rect(6, 0), rect(7, 0)}));
  auto lease = ring.acquire(have);
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->generation(), 3U) << "late frames are skipped, the latest is shown";
  ASSERT_TRUE(lease->damage());
  EXPECT_EQ(xs(lease->damage()), (std::vector<std::uint32_t>{5, 6, 7}));
  EXPECT_FALSE(ring.acquire(0)) << "one lease at a time";
}

TEST(FrameRing, TheWriterNeverPicksTheLeasedOrLatestBuffer) {
  FrameRing ring;
  write(ring, std::nullopt);
  auto lease = ring.acquire(0);
  ASSERT_TRUE(lease);
  const Frame* leased = &lease->frame();
  for (int i = 0; i < 20; ++i) {
    const Frame* latest = ring.latest();
    Frame& target = ring.begin_write();
    EXPECT_NE(&target, leased);
    EXPECT_NE(&target, latest);
    ring.publish(damage({rect(0, 0)}));
  }
}

// A writer thread fills every byte of a frame with its generation (copying only what the ring
// says, as the consumer does); a reader checks each leased frame is one whole generation and
// that applying its damage to a private copy keeps that copy equal to the frame.
TEST(FrameRing, ConcurrentReaderNeverSeesATornFrame) {
  constexpr std::size_t kBytes = 4096;
  constexpr std::uint32_t kFrames = 3000;
  FrameRing ring;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint32_t g = 1; g <= kFrames; ++g) {
      Frame& f = ring.begin_write();
      // Frame g changes byte (g % 64) only ("damage" x = g % 64), except every 50th frame.
      const bool full = g % 50 == 1;
      const FrameRing::Damage own = full ? FrameRing::Damage{} : damage({rect(g % 64, 0)});
      const auto to_copy = ring.catch_up_damage(own);
      if (!to_copy) {
        f.pixels.assign(kBytes, std::byte{0});
        for (std::uint32_t k = 0; k < 64; ++k) {
          // byte k holds the last generation <= g that damaged it (or the last full frame).
          std::uint32_t last = g;
          while (last > 1 && last % 50 != 1 && last % 64 != k) --last;
          f.pixels[k] = std::byte(static_cast<std::uint8_t>(last));
        }
      } else {
        for (const auto& r : *to_copy) {
          std::uint32_t last = g;
          while (last > 1 && last % 50 != 1 && last % 64 != r.x) --last;
          f.pixels[r.x] = std::byte(static_cast<std::uint8_t>(last));
        }
      }
      f.info.serial = g;
      ring.publish(own);
      std::this_thread::sleep_for(std::chrono::microseconds(20));  // let the reader run
    }
    done = true;
  });
  std::vector<std::byte> shown(kBytes, std::byte{0});
  std::uint64_t have = 0;
  int leases = 0;
  while (!done.load() || ring.latest_generation() > have) {
    auto lease = ring.acquire(have);
    if (!lease) continue;
    ++leases;
    const Frame& f = lease->frame();
    ASSERT_EQ(f.info.serial, lease->generation());
    if (!lease->damage()) {
      shown = f.pixels;
    } else {
      for (const auto& r : *lease->damage()) shown[r.x] = f.pixels[r.x];
    }
    ASSERT_EQ(0, std::memcmp(shown.data(), f.pixels.data(), 64))
        << "generation " << lease->generation();
    have = lease->generation();
  }
  writer.join();
  EXPECT_EQ(have, kFrames);
  EXPECT_GT(leases, 1);
}

}  // namespace
}  // namespace periscope
