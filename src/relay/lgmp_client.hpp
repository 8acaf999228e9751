#pragma once
// The LGMP 6 client: the consumer's half. Everything it reads from the region is copied out
// and validated first; every lock it takes is bounded by a time budget.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "relay/layout.hpp"
#include "relay/shared_region.hpp"

namespace periscope::lgmp {

// A private, validated copy of the header fields a consumer needs.
struct HeaderSnapshot {
  std::uint32_t session_id{0};
  std::uint64_t timestamp{0};
  std::uint32_t num_queues{0};
  std::vector<std::byte> udata;
};

// kNotFound while no producer has written a header (magic absent); kVersionMismatch for a
// peer of another LGMP version; kProtocol for a header that cannot be right.
Result<HeaderSnapshot> read_header(SharedRegion region, std::size_t max_udata_bytes);

// Takes a spin lock in shared memory (compare-exchange 0 -> 1), giving up after `budget`.
bool lock_bounded(std::atomic_ref<std::uint32_t> lock, Nanoseconds budget);

class Subscription {
 public:
  struct Message {
    std::uint32_t udata;
    std::uint32_t size;
    std::uint32_t offset;
  };

  // kBusy when the lock is held past the budget or all 32 subscriber bits are taken.
  static Result<Subscription> subscribe(SharedRegion region, std::uint32_t queue_id,
                                        std::uint32_t num_queues, Nanoseconds lock_budget);

  Subscription(Subscription&& other) noexcept;
  Subscription& operator=(Subscription&& other) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

  // The next message, nullopt when none. kTimeout when the producer marked us bad (too slow to
  // acknowledge); kProtocol when we were unsubscribed or the queue state is impossible. Offset
  // and size are as the guest wrote them: check them before use.
  Result<std::optional<Message>> peek() const;
  // Acknowledges the message at our read index and moves on.
  void ack();
  // Sends up to 64 bytes to the producer through the queue's mailbox.
  Status send(std::span<const std::byte> message, Nanoseconds lock_budget);
  // Clears our subscriber bit (also done by the destructor, with a short budget).
  void unsubscribe(Nanoseconds lock_budget);
  // Forgets the subscription without touching the queue: for when the producer started a new
  // session and the queue, with whatever bits it holds now, is no longer the one we joined.
  void abandon() { subscribed_ = false; }

  [[nodiscard]] std::uint32_t id() const { return id_; }

 private:
  Subscription() = default;
  b7::LgmpQueue& queue() const;

  SharedRegion region_;
  std::size_t queue_index_{0};
  std::uint32_t id_{0};
  std::uint32_t slots_{0};
  std::uint32_t messages_offset_{0};
  std::uint32_t max_time_ms_{0};
  std::uint32_t index_{0};
  bool subscribed_{false};
};

}  // namespace periscope::lgmp
