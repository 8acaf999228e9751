#include "relay/lgmp_client.hpp"

#include <sched.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "common/random.hpp"

namespace periscope::lgmp {

namespace {

constexpr std::uint64_t on_bit(std::uint32_t id) {
  return 1ULL << (id + 32);
}
constexpr std::uint64_t bad_bit(std::uint32_t id) {
  return 1ULL << id;
}
// A ring larger than this is not something any LGMP producer makes.
constexpr std::uint32_t kMaxRingSlots = 4096;
// A max_time beyond this is treated as corrupt.
constexpr std::uint32_t kMaxQueueTimeMs = 60'000;

b7::LgmpHeader& header_of(SharedRegion region) {
  return *reinterpret_cast<b7::LgmpHeader*>(region.base());
}

}  // namespace

bool lock_bounded(std::atomic_ref<std::uint32_t> lock, Nanoseconds budget) {
  const TimePoint deadline = Clock::now() + budget;
  for (unsigned spin = 0;; ++spin) {
    std::uint32_t expected = 0;
    if (lock.compare_exchange_weak(expected, 1, std::memory_order_acquire)) return true;
    if ((spin & 63) == 63) {
      if (Clock::now() >= deadline) return false;
      ::sched_yield();
    }
  }
}

Result<HeaderSnapshot> read_header(SharedRegion region, std::size_t max_udata_bytes) {
  if (region.size() < sizeof(b7::LgmpHeader)) {
    return fail(ErrorCode::kTooSmall, "region of {} bytes is smaller than the LGMP header",
                region.size());
  }
  auto& h = header_of(region);
  if (shared_field(h.magic).load(std::memory_order_acquire) != b7::kLgmpMagic) {
    return fail(ErrorCode::kNotFound, "no LGMP producer yet");
  }
  const std::uint32_t version = shared_field(h.version).load();
  if (version != b7::kLgmpVersion) {
    return tl::unexpected(
        Error{ErrorCode::kVersionMismatch,
              fmt::format("the producer speaks LGMP version {}, Periscope speaks version {} "
                          "(Looking Glass B7)",
                          version, b7::kLgmpVersion),
              0});
  }
  HeaderSnapshot snap;
  snap.session_id = shared_field(h.session_id).load();
  snap.timestamp = shared_field(h.timestamp).load(std::memory_order_acquire);
  snap.num_queues = std::min(shared_field(h.num_queues).load(), b7::kMaxQueues);
  const std::uint32_t udata_size = shared_field(h.udata_size).load();
  if (udata_size > max_udata_bytes || !region.contains(b7::kUdataOffset, udata_size)) {
    return fail(ErrorCode::kProtocol, "LGMP udata size {} does not fit the region", udata_size);
  }
  const std::byte* udata = region.base() + b7::kUdataOffset;
  snap.udata.assign(udata, udata + udata_size);  // (memcpy from an empty vector's null is UB)
  return snap;
}

Result<Subscription> Subscription::subscribe(SharedRegion region, std::uint32_t queue_id,
                                             std::uint32_t num_queues, Nanoseconds lock_budget) {
  if (region.size() < sizeof(b7::LgmpHeader)) {
    return fail(ErrorCode::kTooSmall, "region smaller than the LGMP header");
  }
  auto& h = header_of(region);
  std::size_t index = b7::kMaxQueues;
  for (std::size_t i = 0; i < std::min(num_queues, b7::kMaxQueues); ++i) {
    if (shared_field(h.queues[i].queue_id).load() == queue_id) {
      index = i;
      break;
    }
  }
  if (index == b7::kMaxQueues) {
    return fail(ErrorCode::kProtocol, "the producer has no queue {}", queue_id);
  }
  auto& q = h.queues[index];
  Subscription sub;
  sub.region_ = region;
  sub.queue_index_ = index;
  sub.slots_ = shared_field(q.num_messages).load();
  sub.messages_offset_ = shared_field(q.messages_offset).load();
  sub.max_time_ms_ = shared_field(q.max_time_ms).load();
  if (sub.slots_ < 2 || sub.slots_ > kMaxRingSlots || sub.messages_offset_ % 4 != 0 ||
      !region.contains(sub.messages_offset_, std::uint64_t{sub.slots_} * sizeof(b7::LgmpMessage)) ||
      sub.max_time_ms_ > kMaxQueueTimeMs) {
    return fail(ErrorCode::kProtocol,
                "queue {} is malformed (ring of {} slots at offset {}, max time {} ms)", queue_id,
                sub.slots_, sub.messages_offset_, sub.max_time_ms_);
  }

  if (!lock_bounded(shared_field(q.lock), lock_budget)) {
    return fail(ErrorCode::kBusy, "queue {} lock is held by the producer", queue_id);
  }
  std::uint64_t subs = shared_field(q.subs).load();
  const std::uint64_t now_ms = shared_field(h.timestamp).load();
  // Reclaim subscribers that timed out long enough ago.
  for (auto bad = static_cast<std::uint32_t>(subs); bad != 0; bad &= bad - 1) {
    const auto id = static_cast<std::uint32_t>(std::countr_zero(bad));
    if (now_ms > shared_field(q.timeout[id]).load()) {
      subs &= ~(on_bit(id) | bad_bit(id));
      shared_field(q.timeout[id]).store(0);
    }
  }
  const auto taken = static_cast<std::uint32_t>((subs >> 32) | subs);
  if (taken == 0xffff'ffffU) {
    shared_field(q.subs).store(subs);
    shared_field(q.lock).store(0, std::memory_order_release);
    return fail(ErrorCode::kBusy, "queue {} already has 32 subscribers", queue_id);
  }
  sub.id_ = static_cast<std::uint32_t>(std::countr_one(taken));
  shared_field(q.timeout[sub.id_]).store(0);
  shared_field(q.client_id[sub.id_]).store(random_u32());
  shared_field(q.subs).store(subs | on_bit(sub.id_));
  shared_field(q.new_sub_count).fetch_add(1);
  sub.index_ = shared_field(q.position).load(std::memory_order_acquire);
  shared_field(q.lock).store(0, std::memory_order_release);
  sub.subscribed_ = true;
  if (sub.index_ >= sub.slots_) {
    return fail(ErrorCode::kProtocol, "queue {} write position {} is outside its ring of {}",
                queue_id, sub.index_, sub.slots_);
  }
  return sub;
}

Subscription::Subscription(Subscription&& other) noexcept
    : region_(other.region_),
      queue_index_(other.queue_index_),
      id_(other.id_),
      slots_(other.slots_),
      messages_offset_(other.messages_offset_),
      max_time_ms_(other.max_time_ms_),
      index_(other.index_),
      subscribed_(std::exchange(other.subscribed_, false)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    unsubscribe(Milliseconds(1));
    region_ = other.region_;
    queue_index_ = other.queue_index_;
    id_ = other.id_;
    slots_ = other.slots_;
    messages_offset_ = other.messages_offset_;
    max_time_ms_ = other.max_time_ms_;
    index_ = other.index_;
    subscribed_ = std::exchange(other.subscribed_, false);
  }
  return *this;
}

Subscription::~Subscription() {
  unsubscribe(Milliseconds(1));
}

b7::LgmpQueue& Subscription::queue() const {
  return header_of(region_).queues[queue_index_];
}

Result<std::optional<Subscription::Message>> Subscription::peek() const {
  auto& q = queue();
  const std::uint64_t subs = shared_field(q.subs).load(std::memory_order_acquire);
  if ((subs & bad_bit(id_)) != 0) {
    return fail(ErrorCode::kTimeout, "the producer timed out our subscription");
  }
  if ((subs & on_bit(id_)) == 0) return fail(ErrorCode::kProtocol, "we were unsubscribed");
  const std::uint32_t position = shared_field(q.position).load(std::memory_order_acquire);
  if (position >= slots_) {
    return fail(ErrorCode::kProtocol, "write position {} outside a ring of {}", position, slots_);
  }
  if (position == index_) return std::optional<Message>{};
  b7::LgmpMessage record{};
  (void)region_.copy_out(messages_offset_ + std::uint64_t{index_} * sizeof record, record);
  return std::optional<Message>(Message{record.udata, record.size, record.offset});
}

void Subscription::ack() {
  const std::uint64_t record_offset =
      messages_offset_ + std::uint64_t{index_} * sizeof(b7::LgmpMessage);
  auto pending =
      region_.atomic<std::uint32_t>(record_offset + offsetof(b7::LgmpMessage, pending_subs));
  const std::uint32_t bit = 1U << id_;
  if (pending && (pending->fetch_and(~bit, std::memory_order_acq_rel) & ~bit) == 0) {
    // We were the last reader: retire the message if nobody did yet (a single try, never a wait).
    auto& q = queue();
    auto lock = shared_field(q.lock);
    std::uint32_t expected = 0;
    if (lock.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
      if (shared_field(q.start).load() == index_) {
        shared_field(q.start).store((index_ + 1) % slots_);
        auto count = shared_field(q.count);
        std::uint32_t c = count.load();
        while (c > 0 && !count.compare_exchange_weak(c, c - 1)) {
        }
        shared_field(q.msg_timeout)
            .store(shared_field(header_of(region_).timestamp).load() + max_time_ms_);
      }
      lock.store(0, std::memory_order_release);
    }
  }
  index_ = (index_ + 1) % slots_;
}

Status Subscription::send(std::span<const std::byte> message, Nanoseconds lock_budget) {
  if (message.size() > b7::kMailboxMessageBytes) {
    return fail(ErrorCode::kInvalidArgument, "mailbox messages are at most {} bytes",
                b7::kMailboxMessageBytes);
  }
  auto& q = queue();
  if (!lock_bounded(shared_field(q.c_msg_lock), lock_budget)) {
    return fail(ErrorCode::kBusy, "mailbox lock is held");
  }
  Status result;
  const std::uint32_t avail = shared_field(q.c_msg_avail).load();
  const std::uint32_t wpos = shared_field(q.c_msg_wpos).load();
  if (avail == 0 || avail > b7::kMailboxSlots) {
    result = fail(ErrorCode::kBusy, "mailbox is full");
  } else if (wpos >= b7::kMailboxSlots) {
    result = fail(ErrorCode::kProtocol, "mailbox write position {} is corrupt", wpos);
  } else {
    auto& slot = q.c_msgs[wpos];
    std::memcpy(slot.data, message.data(), message.size());
    shared_field(slot.size).store(static_cast<std::uint32_t>(message.size()));
    shared_field(q.c_msg_wpos).store((wpos + 1) % b7::kMailboxSlots);
    shared_field(q.c_msg_avail).fetch_sub(1, std::memory_order_release);
    shared_field(q.c_msg_wserial).fetch_add(1, std::memory_order_release);
  }
  shared_field(q.c_msg_lock).store(0, std::memory_order_release);
  return result;
}

void Subscription::unsubscribe(Nanoseconds lock_budget) {
  if (!subscribed_) return;
  subscribed_ = false;
  auto& q = queue();
  if (!lock_bounded(shared_field(q.lock), lock_budget)) return;  // the producer will time us out
  shared_field(q.subs).fetch_and(~on_bit(id_));
  shared_field(q.lock).store(0, std::memory_order_release);
}

}  // namespace periscope::lgmp
