#pragma once
// The LGMP 6 host: the producer's half of the shared-memory message protocol.
// Owns the header, the queues and a bump allocator over the rest of the region. It keeps a
// private copy of everything it wrote, so a region that was wiped or scribbled on is detected
// on the next process() and rebuilt under a new session id.
#include <array>
#include <cstdint>
#include <vector>

#include "common/result.hpp"
#include "relay/layout.hpp"
#include "relay/shared_region.hpp"

namespace periscope::lgmp {

struct QueueConfig {
  std::uint32_t queue_id;
  std::uint32_t length;  // messages in flight; the ring has length + 1 slots
  std::uint32_t max_time_ms;
};

struct MailboxMessage {
  std::size_t queue_index;
  std::uint32_t size;
  std::array<std::uint8_t, b7::kMailboxMessageBytes> data;
};

enum class PostResult { kPosted, kNoSubscribers, kFull, kLockBusy };

class Host {
 public:
  static Result<Host> create(SharedRegion region, std::vector<QueueConfig> queues,
                             std::vector<std::byte> udata, std::uint64_t now_ms);

  // Bump allocation after the header and rings; returns the offset. Offsets stay valid across
  // re-initialisation because the layout only depends on the configuration.
  Result<std::uint32_t> allocate(std::uint64_t bytes, std::uint64_t alignment);
  [[nodiscard]] std::uint64_t allocated_end() const { return alloc_next_; }
  [[nodiscard]] SharedRegion region() const { return region_; }
  [[nodiscard]] std::uint32_t session_id() const { return session_id_; }

  // Posts a message unless no subscriber is listening or the ring is full.
  PostResult post(std::size_t queue_index, std::uint32_t udata, std::uint32_t offset,
                  std::uint32_t size, std::uint64_t now_ms);
  // Messages posted and not yet retired.
  [[nodiscard]] std::uint32_t pending(std::size_t queue_index) const;
  [[nodiscard]] bool has_subscribers(std::size_t queue_index) const;

  struct Tick {
    bool reinitialised{false};
    std::array<std::uint32_t, b7::kMaxQueues> new_subscribers{};
    std::vector<MailboxMessage> mailbox;
  };
  // The heartbeat: call at least every 10 ms. Stores the timestamp, retires acknowledged or
  // timed-out messages, reports new subscribers (re-post for them) and mailbox messages.
  Tick process(std::uint64_t now_ms);

 private:
  struct QueueState {
    QueueConfig config;
    std::uint32_t ring_slots;
    std::uint32_t messages_offset;
    std::uint32_t position;
    std::uint32_t mailbox_read_pos;
    std::uint64_t lock_failing_since_ms;  // 0 while the lock can be taken
  };

  Host(SharedRegion region, std::vector<QueueConfig> queues, std::vector<std::byte> udata);
  Status lay_out();
  void initialise(std::uint64_t now_ms);
  [[nodiscard]] bool intact() const;
  b7::LgmpHeader& header() const;
  b7::LgmpQueue& shared_queue(std::size_t index) const;
  b7::LgmpMessage& ring_slot(const QueueState& q, std::uint32_t index) const;
  bool try_lock(b7::LgmpQueue& q) const;
  void retire_messages(QueueState& q, b7::LgmpQueue& shared, std::uint64_t now_ms);
  void read_mailbox(std::size_t index, QueueState& q, b7::LgmpQueue& shared, Tick& tick);

  SharedRegion region_;
  std::vector<QueueState> queues_;
  std::vector<std::byte> udata_;
  std::uint32_t session_id_{0};
  std::uint64_t alloc_next_{0};
};

}  // namespace periscope::lgmp
