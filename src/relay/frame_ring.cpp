#include "relay/frame_ring.hpp"

#include <cassert>

namespace periscope {

Frame& FrameRing::begin_write() {
  const std::scoped_lock lock(mutex_);
  // Of the buffers the reader cannot be looking at, the freshest needs the least catching up.
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < kBuffers; ++i) {
    if (i == latest_ || i == leased_) continue;
    if (!best || content_[i] > content_[*best]) best = i;
  }
  assert(best);  // three buffers, at most two taken
  writing_ = *best;
  return buffers_[*best];
}

std::optional<std::uint64_t> FrameRing::write_target_generation() const {
  const std::scoped_lock lock(mutex_);
  if (!writing_ || content_[*writing_] == 0 || content_[*writing_] <= barrier_) return std::nullopt;
  return content_[*writing_];
}

FrameRing::Damage FrameRing::catch_up_damage(const Damage& frame_damage) const {
  if (!frame_damage) return std::nullopt;
  const std::scoped_lock lock(mutex_);
  if (!writing_) return std::nullopt;
  const std::uint64_t have = content_[*writing_];
  if (have == 0 || have <= barrier_) return std::nullopt;
  Damage damage = damage_between(have, generation_, frame_damage->size());
  if (!damage) return std::nullopt;
  damage->insert(damage->end(), frame_damage->begin(), frame_damage->end());
  return damage;
}

void FrameRing::publish(const Damage& frame_damage) {
  const std::scoped_lock lock(mutex_);
  assert(writing_);
  ++generation_;
  Record& record = history_[generation_ % kHistory];
  record.generation = generation_;
  record.full = !frame_damage || frame_damage->size() > record.rects.size();
  record.count = 0;
  if (!record.full) {
    for (const auto& rect : *frame_damage) record.rects[record.count++] = rect;
  }
  content_[*writing_] = generation_;
  latest_ = writing_;
  writing_.reset();
}

void FrameRing::abandon_write() {
  const std::scoped_lock lock(mutex_);
  if (!writing_) return;
  content_[*writing_] = 0;
  writing_.reset();
}

void FrameRing::invalidate() {
  const std::scoped_lock lock(mutex_);
  barrier_ = generation_;
}

const Frame* FrameRing::latest() const {
  const std::scoped_lock lock(mutex_);
  if (!latest_) return nullptr;
  return &buffers_[*latest_];
}

std::uint64_t FrameRing::latest_generation() const {
  const std::scoped_lock lock(mutex_);
  return latest_ ? generation_ : 0;
}

std::optional<FrameRing::Lease> FrameRing::acquire(std::uint64_t have) {
  const std::scoped_lock lock(mutex_);
  if (!latest_ || generation_ <= have || leased_) return std::nullopt;
  leased_ = latest_;
  Damage damage = have == 0 ? std::nullopt : damage_between(have, generation_, 0);
  return Lease(this, &buffers_[*latest_], generation_, std::move(damage));
}

FrameRing::Damage FrameRing::damage_between(std::uint64_t after, std::uint64_t upto,
                                            std::size_t extra_rects) const {
  if (upto < after || upto - after > kHistory) return std::nullopt;
  std::vector<b7::TexelRect> rects;
  for (std::uint64_t g = after + 1; g <= upto; ++g) {
    const Record& record = history_[g % kHistory];
    if (record.generation != g || record.full) return std::nullopt;
    if (rects.size() + record.count + extra_rects > kMaxCatchUpRects) return std::nullopt;
    rects.insert(rects.end(), record.rects.begin(), record.rects.begin() + record.count);
  }
  return rects;
}

void FrameRing::release(const Frame* frame) {
  const std::scoped_lock lock(mutex_);
  if (leased_ && &buffers_[*leased_] == frame) leased_.reset();
}

FrameRing::Lease::Lease(Lease&& other) noexcept
    : ring_(other.ring_),
      frame_(other.frame_),
      generation_(other.generation_),
      damage_(std::move(other.damage_)) {
  other.ring_ = nullptr;
}

FrameRing::Lease::~Lease() {
  if (ring_) ring_->release(frame_);
}

}  // namespace periscope
