#pragma once
// A client of QEMU's machine protocol (QMP) on its unix socket, for input injection: the
// handshake, one command at a time with its reply matched by "id", and the keys it has
// pressed so they can all be released when our window loses focus (otherwise the guest sees
// a key held forever: the classic "stuck key").
//
// Everything QEMU sends is untrusted input: lines are bounded, parsed without exceptions and
// type-checked before use. Every wait is bounded by QmpOptions::timeout, so a hung or paused
// QEMU costs a timeout, never a hang. Not thread-safe: one input thread owns a client.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "input/input_events.hpp"

namespace periscope::input {

struct QmpOptions {
  // The bound on each wait: for the greeting, for each command's reply, for a blocked write.
  Milliseconds timeout{1000};
  // The most we buffer without seeing a line end. QEMU's replies to our commands are small;
  // more than this is a broken or hostile peer, not a reply.
  std::size_t max_line_bytes{1024 * 1024};
};

struct QmpVersion {
  int major{0};
  int minor{0};
  int micro{0};
};

// An error QEMU itself reported for a command, e.g. {"class":"GenericError","desc":"VM not
// running"}; the connection stays usable after one.
struct QemuError {
  std::string error_class;
  std::string desc;
};

class QmpClient {
 public:
  // Connects to `socket_path` and completes the handshake: the greeting, qmp_capabilities,
  // then query-version.
  static Result<QmpClient> connect(std::string socket_path, QmpOptions options = {});

  // Drops any connection and connects again to the same path (QEMU restarted). Held keys are
  // kept: the guest may still consider them down, and release_all_keys() can then fix that.
  Status reconnect();
  void disconnect();
  [[nodiscard]] bool connected() const { return fd_.valid(); }
  // Without waiting: reads and discards what QEMU sent unprompted (asynchronous events, late
  // replies), so an idle owner notices a socket QEMU closed without sending a command.
  // An error means the connection is gone (it is then dropped).
  Status check_connection();

  [[nodiscard]] const std::string& socket_path() const { return path_; }
  // QEMU's version from query-version at the last handshake.
  [[nodiscard]] const QmpVersion& version() const { return version_; }

  // Whether this QEMU knows the QKeyCode name: f13..f24 arrived in QEMU 8.0, and an unknown
  // name makes QEMU reject the whole batch.
  [[nodiscard]] bool supports_qcode(std::string_view qcode) const;

  // Sends one command (an "id" member is added) and waits for its reply, skipping
  // asynchronous events and replies to earlier, timed-out commands. Returns the "return"
  // member; an "error" reply becomes an Error whose message carries QEMU's class and desc
  // (also kept in last_qemu_error()). A closed socket or a protocol violation disconnects; a
  // reply timeout does not (its late reply is skipped by id).
  Result<Json> send(Json command);

  // One input-send-event for the batch. Keys this QEMU does not know are left out (and a
  // batch left empty sends nothing). On success the held-key set follows the key events.
  Status send_events(std::span<const InputEvent> events);

  // Key-up for every key we pressed and have not released, in one command; for focus loss.
  Status release_all_keys();
  [[nodiscard]] const std::set<std::string, std::less<>>& held_keys() const { return held_; }

  [[nodiscard]] const std::optional<QemuError>& last_qemu_error() const { return last_qemu_error_; }

 private:
  QmpClient(std::string path, QmpOptions options) : path_(std::move(path)), options_(options) {}

  Status open_and_handshake();
  Status handshake();
  Result<std::string> read_line(TimePoint deadline);
  Result<Json> read_object(TimePoint deadline);
  Status write_all(std::string_view bytes, TimePoint deadline);
  // Closes the connection and passes the error through (the stream can no longer be trusted).
  tl::unexpected<Error> drop(tl::unexpected<Error> error);

  std::string path_;
  QmpOptions options_;
  UniqueFd fd_;
  std::string buffer_;  // bytes received and not yet consumed as lines
  QmpVersion version_;
  std::uint64_t next_id_{1};
  std::set<std::string, std::less<>> held_;
  std::optional<QemuError> last_qemu_error_;
};

}  // namespace periscope::input
