#pragma once
// Keyboard and mouse into the VM without ever blocking the UI thread: a background thread owns
// the QmpClient (every QMP wait, connect included, happens there), and the UI thread only
// appends to a bounded queue under a mutex.
//
// The thread sends everything pending as ONE input-send-event per round trip, so a 1000 Hz
// mouse never queues up behind QEMU: motion between two key/button events is summed
// (MotionCoalescer), and whatever arrived while a command was in flight goes out together in
// the next one. Order between keys/buttons and motion is kept, so a click lands where the
// pointer was moved to first.
//
// While disconnected, events are dropped and counted (a VM that is not there cannot use them,
// and replaying stale input after a reconnect would be worse than losing it); the thread
// retries every reconnect_interval and, once connected again, releases every key the client
// still thinks is held (QEMU may have restarted, or kept the guest's keys down).
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "input/input_events.hpp"
#include "input/qmp_client.hpp"

namespace periscope::input {

struct InputSessionOptions {
  std::string socket_path;
  // Between connect attempts while QEMU is not there; also how often an idle connection is
  // checked for having been closed.
  Milliseconds reconnect_interval{1000};
  QmpOptions qmp;
  // Key/button events waiting for the thread beyond this are dropped and counted: only a QEMU
  // that stopped answering lets the queue grow, and then the events are stale anyway.
  std::size_t max_pending_events{4096};
};

struct InputSessionStatus {
  bool connected{false};
  std::optional<QmpVersion> version;  // of the QEMU we are (or were last) connected to
  std::string last_error;             // the latest failure (connect or send); kept after recovery
  std::uint64_t commands_sent{0};     // input-send-event commands QEMU accepted
  std::uint64_t events_sent{0};       // InputEvents in those commands
  // Events that never reached the guest: given while disconnected, beyond the queue bound, in
  // a command that failed, or keys this QEMU has no name for.
  std::uint64_t events_dropped{0};
  std::uint64_t send_failures{0};  // commands that failed (QEMU's refusals included)
  std::uint64_t connects{0};       // successful handshakes, the first one included
  // Whether the VM has an absolute pointing device (a tablet) that takes `abs` events, from
  // `query-mice` at connect time; nullopt when QEMU did not say.
  std::optional<bool> has_absolute_pointer;
};

class InputSession {
 public:
  explicit InputSession(InputSessionOptions options);
  ~InputSession();
  InputSession(const InputSession&) = delete;
  InputSession& operator=(const InputSession&) = delete;

  // Starts the thread, which connects (a missing socket is not an error: it is retried every
  // reconnect_interval, and status() says why it failed). A second call does nothing.
  void start();
  // Sends what is pending together with key-ups for every held key (one command, bounded by
  // the QMP timeout; skipped when not connected or when QEMU just timed out), then joins.
  void stop();

  // UI-thread calls: they take a mutex held only for queue operations, never for I/O.
  void key(std::string_view qcode, bool down);
  void button(Button button, bool down);
  void move_relative(std::int32_t dx, std::int32_t dy);  // summed until the next send
  void move_absolute(AbsolutePosition position);         // the latest wins
  // Focus lost: key-ups for every key held at this point of the event order, sent next. Kept
  // while disconnected (the keys are released after the reconnect).
  void release_all_keys();

  [[nodiscard]] InputSessionStatus status() const;

 private:
  // A release_all_keys() request in the queue; turned into key-ups for the keys held at that
  // point when the thread builds its batch.
  struct ReleaseAllKeys {};
  using Pending = std::variant<InputEvent, ReleaseAllKeys>;

  void run();
  // Thread side; each returns with the lock released.
  void try_connect();
  void send_pending(std::vector<Pending> pending);
  void check_idle_connection();
  void release_at_stop();
  // The events one command carries: `pending` in order, with each release request expanded
  // against the keys held at that point (starting from the client's held keys).
  std::vector<InputEvent> build_batch(const std::vector<Pending>& pending,
                                      std::uint64_t& unsupported) const;
  // Counts a failed command; marks the session disconnected when the connection went with it.
  void note_failure(const Error& error, std::size_t events_lost);
  // Marks the session disconnected and drops what waits, keeping a release request (lock held).
  void disconnected_locked();
  // Appends a key or button event after any pending motion (lock held).
  void append_locked(InputEvent event);
  [[nodiscard]] bool has_work_locked() const { return !pending_.empty() || !motion_.empty(); }

  const InputSessionOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_{false};
  std::vector<Pending> pending_;  // key/button events and release requests, in order
  MotionCoalescer motion_;        // motion since the last entry of pending_
  InputSessionStatus status_;

  // The thread's own; only touched by run() and what it calls.
  std::optional<QmpClient> client_;
  bool last_send_timed_out_{false};

  std::thread thread_;
};

}  // namespace periscope::input
