#include "relay/lgmp_host.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/random.hpp"

namespace periscope::lgmp {

namespace {

constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

constexpr std::uint64_t on_bits(std::uint64_t subs) {
  return subs >> 32;
}
constexpr std::uint64_t bad_bits(std::uint64_t subs) {
  return subs & 0xffff'ffffULL;
}

// A lock the host cannot take for this long is taken to be held by a dead or hostile peer.
constexpr std::uint64_t kStuckLockMs = 1000;
// How many compare-exchange tries one lock attempt makes before the host moves on; a peer only
// holds the lock for a few instructions.
constexpr int kLockSpins = 2000;

}  // namespace

Host::Host(SharedRegion region, std::vector<QueueConfig> queues, std::vector<std::byte> udata)
    : region_(region), udata_(std::move(udata)) {
  for (const auto& config : queues) {
    queues_.push_back(QueueState{config, config.length + 1, 0, 0, 0, 0});
  }
}

Result<Host> Host::create(SharedRegion region, std::vector<QueueConfig> queues,
                          std::vector<std::byte> udata, std::uint64_t now_ms) {
  if (queues.empty() || queues.size() > b7::kMaxQueues) {
    return fail(ErrorCode::kInvalidArgument, "LGMP supports 1..{} queues, got {}", b7::kMaxQueues,
                queues.size());
  }
  Host host(region, std::move(queues), std::move(udata));
  if (auto laid = host.lay_out(); !laid) return tl::unexpected(laid.error());
  host.initialise(now_ms);
  return host;
}

Status Host::lay_out() {
  std::uint64_t next = align_up(
      std::max<std::uint64_t>(sizeof(b7::LgmpHeader), b7::kUdataOffset + udata_.size()), 8);
  for (auto& q : queues_) {
    if (q.config.length == 0 || q.config.length >= 1024) {
      return fail(ErrorCode::kInvalidArgument, "queue length {} out of range", q.config.length);
    }
    q.messages_offset = static_cast<std::uint32_t>(next);
    next = align_up(next + std::uint64_t{q.ring_slots} * sizeof(b7::LgmpMessage), 8);
  }
  if (next > region_.size()) {
    return fail(ErrorCode::kTooSmall, "region of {} bytes cannot hold the LGMP header ({} bytes)",
                region_.size(), next);
  }
  alloc_next_ = next;
  return {};
}

Result<std::uint32_t> Host::allocate(std::uint64_t bytes, std::uint64_t alignment) {
  const std::uint64_t offset = align_up(alloc_next_, std::max<std::uint64_t>(alignment, 4));
  if (!region_.contains(offset, bytes) || offset > UINT32_MAX) {
    return fail(ErrorCode::kTooSmall, "region of {} bytes has no room for {} more bytes",
                region_.size(), bytes);
  }
  alloc_next_ = align_up(offset + bytes, 4);
  return static_cast<std::uint32_t>(offset);
}

b7::LgmpHeader& Host::header() const {
  return *reinterpret_cast<b7::LgmpHeader*>(region_.base());
}

b7::LgmpQueue& Host::shared_queue(std::size_t index) const {
  return header().queues[index];
}

b7::LgmpMessage& Host::ring_slot(const QueueState& q, std::uint32_t index) const {
  return reinterpret_cast<b7::LgmpMessage*>(region_.base() + q.messages_offset)[index];
}

void Host::initialise(std::uint64_t now_ms) {
  auto& h = header();
  // Readers look at magic first: hide the header while it is rebuilt.
  shared_field(h.magic).store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);

  std::uint32_t session = random_u32();
  while (session == session_id_) session = random_u32();
  session_id_ = session;

  std::memset(h.queues, 0, sizeof h.queues);
  for (std::size_t i = 0; i < queues_.size(); ++i) {
    auto& q = queues_[i];
    auto& s = h.queues[i];
    q.position = 0;
    q.mailbox_read_pos = 0;
    q.lock_failing_since_ms = 0;
    s.queue_id = q.config.queue_id;
    s.num_messages = q.ring_slots;
    s.max_time_ms = q.config.max_time_ms;
    s.messages_offset = q.messages_offset;
    s.c_msg_avail = b7::kMailboxSlots;
    std::memset(&ring_slot(q, 0), 0, std::size_t{q.ring_slots} * sizeof(b7::LgmpMessage));
  }
  h.version = b7::kLgmpVersion;
  h.session_id = session_id_;
  h.num_queues = static_cast<std::uint32_t>(queues_.size());
  h.udata_size = static_cast<std::uint32_t>(udata_.size());
  std::memcpy(region_.base() + b7::kUdataOffset, udata_.data(), udata_.size());
  shared_field(h.timestamp).store(now_ms, std::memory_order_relaxed);
  shared_field(h.magic).store(b7::kLgmpMagic, std::memory_order_release);
}

bool Host::intact() const {
  auto& mutable_h = header();
  if (shared_field(mutable_h.magic).load(std::memory_order_acquire) != b7::kLgmpMagic) return false;
  if (shared_field(mutable_h.version).load() != b7::kLgmpVersion) return false;
  if (shared_field(mutable_h.session_id).load() != session_id_) return false;
  if (shared_field(mutable_h.num_queues).load() != queues_.size()) return false;
  if (shared_field(mutable_h.udata_size).load() != udata_.size()) return false;
  if (std::memcmp(region_.base() + b7::kUdataOffset, udata_.data(), udata_.size()) != 0) {
    return false;
  }
  for (std::size_t i = 0; i < queues_.size(); ++i) {
    const auto& q = queues_[i];
    auto& s = mutable_h.queues[i];
    if (shared_field(s.queue_id).load() != q.config.queue_id ||
        shared_field(s.num_messages).load() != q.ring_slots ||
        shared_field(s.max_time_ms).load() != q.config.max_time_ms ||
        shared_field(s.messages_offset).load() != q.messages_offset ||
        shared_field(s.position).load() != q.position ||
        shared_field(s.start).load() >= q.ring_slots ||
        shared_field(s.count).load() >= q.ring_slots ||
        shared_field(s.c_msg_avail).load() > b7::kMailboxSlots ||
        shared_field(s.c_msg_wpos).load() >= b7::kMailboxSlots) {
      return false;
    }
  }
  return true;
}

bool Host::try_lock(b7::LgmpQueue& q) const {
  auto lock = shared_field(q.lock);
  for (int i = 0; i < kLockSpins; ++i) {
    std::uint32_t expected = 0;
    if (lock.compare_exchange_weak(expected, 1, std::memory_order_acquire)) return true;
  }
  return false;
}

PostResult Host::post(std::size_t queue_index, std::uint32_t udata, std::uint32_t offset,
                      std::uint32_t size, std::uint64_t now_ms) {
  auto& q = queues_[queue_index];
  auto& s = shared_queue(queue_index);
  if (!try_lock(s)) return PostResult::kLockBusy;
  const std::uint64_t subs = shared_field(s.subs).load(std::memory_order_acquire);
  const auto good = static_cast<std::uint32_t>(on_bits(subs) & ~bad_bits(subs));
  PostResult result = PostResult::kPosted;
  if (good == 0) {
    result = PostResult::kNoSubscribers;
  } else if (shared_field(s.count).load() >= q.config.length) {
    result = PostResult::kFull;
  } else {
    auto& slot = ring_slot(q, q.position);
    shared_field(slot.udata).store(udata, std::memory_order_relaxed);
    shared_field(slot.size).store(size, std::memory_order_relaxed);
    shared_field(slot.offset).store(offset, std::memory_order_relaxed);
    shared_field(slot.pending_subs).store(good, std::memory_order_relaxed);
    if (shared_field(s.count).fetch_add(1) == 0) {
      shared_field(s.msg_timeout).store(now_ms + q.config.max_time_ms);
    }
    q.position = (q.position + 1) % q.ring_slots;
    shared_field(s.position).store(q.position, std::memory_order_release);
  }
  shared_field(s.lock).store(0, std::memory_order_release);
  return result;
}

std::uint32_t Host::pending(std::size_t queue_index) const {
  const auto& q = queues_[queue_index];
  return std::min(shared_field(shared_queue(queue_index).count).load(), q.config.length);
}

bool Host::has_subscribers(std::size_t queue_index) const {
  const std::uint64_t subs = shared_field(shared_queue(queue_index).subs).load();
  return (on_bits(subs) & ~bad_bits(subs)) != 0;
}

void Host::retire_messages(QueueState& q, b7::LgmpQueue& s, std::uint64_t now_ms) {
  // Bounded by the ring size even if a peer keeps rewriting count.
  for (std::uint32_t n = 0; n < q.ring_slots; ++n) {
    if (shared_field(s.count).load() == 0) return;
    const std::uint32_t start = shared_field(s.start).load();
    if (start >= q.ring_slots) return;  // corrupt; intact() catches it on the next tick
    auto& msg = ring_slot(q, start);
    const std::uint64_t subs = shared_field(s.subs).load();
    const auto pending =
        static_cast<std::uint32_t>(shared_field(msg.pending_subs).load() & on_bits(subs));
    if (pending != 0) {
      if (now_ms <= shared_field(s.msg_timeout).load()) return;
      // Those who did not acknowledge in time are marked bad until their timeout passes.
      shared_field(s.subs).fetch_or(pending);
      for (std::uint32_t bits = pending; bits != 0; bits &= bits - 1) {
        const auto id = static_cast<std::size_t>(std::countr_zero(bits));
        shared_field(s.timeout[id]).store(now_ms + q.config.max_time_ms);
      }
      shared_field(msg.pending_subs).store(0);
    }
    shared_field(s.start).store((start + 1) % q.ring_slots);
    shared_field(s.count).fetch_sub(1);
    shared_field(s.msg_timeout).store(now_ms + q.config.max_time_ms);
  }
}

void Host::read_mailbox(std::size_t index, QueueState& q, b7::LgmpQueue& s, Tick& tick) {
  for (std::uint32_t n = 0; n < b7::kMailboxSlots; ++n) {
    if (shared_field(s.c_msg_avail).load(std::memory_order_acquire) >= b7::kMailboxSlots) return;
    MailboxMessage message{index, 0, {}};
    auto& slot = s.c_msgs[q.mailbox_read_pos];
    message.size = std::min(shared_field(slot.size).load(), b7::kMailboxMessageBytes);
    std::memcpy(message.data.data(), slot.data, message.size);
    tick.mailbox.push_back(message);
    q.mailbox_read_pos = (q.mailbox_read_pos + 1) % b7::kMailboxSlots;
    shared_field(s.c_msg_avail).fetch_add(1, std::memory_order_release);
    shared_field(s.c_msg_rserial).fetch_add(1);
  }
}

Host::Tick Host::process(std::uint64_t now_ms) {
  Tick tick;
  if (!intact()) {
    initialise(now_ms);
    tick.reinitialised = true;
    return tick;
  }
  shared_field(header().timestamp).store(now_ms, std::memory_order_release);
  for (std::size_t i = 0; i < queues_.size(); ++i) {
    auto& q = queues_[i];
    auto& s = shared_queue(i);
    tick.new_subscribers[i] = shared_field(s.new_sub_count).exchange(0);
    if (!try_lock(s)) {
      if (q.lock_failing_since_ms == 0) q.lock_failing_since_ms = now_ms;
      if (now_ms - q.lock_failing_since_ms > kStuckLockMs) {
        initialise(now_ms);  // a lock held this long belongs to no live peer
        tick = Tick{};
        tick.reinitialised = true;
        return tick;
      }
      continue;
    }
    q.lock_failing_since_ms = 0;
    retire_messages(q, s, now_ms);
    shared_field(s.lock).store(0, std::memory_order_release);
    read_mailbox(i, q, s, tick);
  }
  return tick;
}

}  // namespace periscope::lgmp
