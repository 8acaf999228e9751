#include "input/input_session.hpp"

#include <set>
#include <utility>

#include "common/log.hpp"

namespace periscope::input {

InputSession::InputSession(InputSessionOptions options) : options_(std::move(options)) {}

InputSession::~InputSession() {
  stop();
}

void InputSession::start() {
  if (thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    stop_requested_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void InputSession::stop() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void InputSession::key(std::string_view qcode, bool down) {
  KeyEvent event{std::string(qcode), down};  // allocated outside the lock
  {
    const std::lock_guard lock(mutex_);
    append_locked(std::move(event));
  }
  wake_.notify_one();
}

void InputSession::button(Button button, bool down) {
  {
    const std::lock_guard lock(mutex_);
    append_locked(ButtonEvent{button, down});
  }
  wake_.notify_one();
}

void InputSession::move_relative(std::int32_t dx, std::int32_t dy) {
  {
    const std::lock_guard lock(mutex_);
    if (!status_.connected) {
      ++status_.events_dropped;
      return;
    }
    motion_.add_relative(dx, dy);
  }
  wake_.notify_one();
}

void InputSession::move_absolute(AbsolutePosition position) {
  {
    const std::lock_guard lock(mutex_);
    if (!status_.connected) {
      ++status_.events_dropped;
      return;
    }
    motion_.set_absolute(position);
  }
  wake_.notify_one();
}

void InputSession::release_all_keys() {
  {
    const std::lock_guard lock(mutex_);
    // Kept even while disconnected, and outside the queue bound: it is what prevents stuck
    // keys. Two requests in a row release the same keys, so one is enough.
    if (!pending_.empty() && std::holds_alternative<ReleaseAllKeys>(pending_.back())) return;
    std::vector<InputEvent> motion;
    motion_.take(motion);
    for (InputEvent& event : motion) pending_.emplace_back(std::move(event));
    pending_.emplace_back(ReleaseAllKeys{});
  }
  wake_.notify_one();
}

InputSessionStatus InputSession::status() const {
  const std::lock_guard lock(mutex_);
  return status_;
}

void InputSession::append_locked(InputEvent event) {
  if (!status_.connected || pending_.size() >= options_.max_pending_events) {
    ++status_.events_dropped;
    return;
  }
  // Motion given before this event must reach the guest before it (a click lands where the
  // pointer was moved to), so it leaves the coalescer now.
  std::vector<InputEvent> motion;
  motion_.take(motion);
  for (InputEvent& moved : motion) pending_.emplace_back(std::move(moved));
  pending_.emplace_back(std::move(event));
}

void InputSession::run() {
  TimePoint next_attempt = Clock::now();
  std::unique_lock lock(mutex_);
  while (!stop_requested_) {
    if (!client_ || !client_->connected()) {
      // Nothing to send while disconnected (the UI's events are dropped): sleep until the next
      // attempt unless stopped.
      if (wake_.wait_until(lock, next_attempt, [this] { return stop_requested_; })) break;
      lock.unlock();
      try_connect();
      next_attempt = Clock::now() + options_.reconnect_interval;
      lock.lock();
      continue;
    }
    const bool woken = wake_.wait_for(lock, options_.reconnect_interval,
                                      [this] { return stop_requested_ || has_work_locked(); });
    if (stop_requested_) break;
    if (!woken) {
      lock.unlock();
      check_idle_connection();
      lock.lock();
      if (!client_->connected()) next_attempt = Clock::now() + options_.reconnect_interval;
      continue;
    }
    // Everything pending goes out as one command: whatever arrives while it is in flight
    // waits for the next one, so a fast mouse costs one round trip per batch, not per event.
    std::vector<Pending> pending;
    pending.swap(pending_);
    std::vector<InputEvent> motion;
    motion_.take(motion);
    for (InputEvent& event : motion) pending.emplace_back(std::move(event));
    lock.unlock();
    send_pending(std::move(pending));
    lock.lock();
    if (!client_->connected()) next_attempt = Clock::now() + options_.reconnect_interval;
  }
  lock.unlock();
  release_at_stop();
}

namespace {

// `query-mice` lists the VM's pointing devices; an absolute one (usb-tablet, virtio-tablet)
// is what `abs` events reach. A reply of any other shape means "unknown", not "none".
std::optional<bool> probe_absolute_pointer(QmpClient& client) {
  auto reply = client.send(Json{{"execute", "query-mice"}});
  if (!reply || !reply->is_array()) return std::nullopt;
  bool absolute = false;
  for (const Json& mouse : *reply) {
    if (!mouse.is_object()) return std::nullopt;
    const auto it = mouse.find("absolute");
    if (it == mouse.end() || !it->is_boolean()) return std::nullopt;
    absolute = absolute || it->get<bool>();
  }
  return absolute;
}

}  // namespace

void InputSession::try_connect() {
  Status connected;
  if (client_) {
    connected = client_->reconnect();  // keeps the held keys, released below
  } else if (auto client = QmpClient::connect(options_.socket_path, options_.qmp)) {
    client_.emplace(std::move(*client));
  } else {
    connected = tl::unexpected(client.error());
  }
  if (!connected) {
    const std::lock_guard lock(mutex_);
    // Logged once per new reason: a VM that is down is retried every interval.
    if (status_.last_error != connected.error().message) {
      spdlog::warn("input: cannot reach QEMU: {}", connected.error().message);
      status_.last_error = connected.error().message;
    }
    return;
  }
  last_send_timed_out_ = false;
  const std::optional<bool> absolute = probe_absolute_pointer(*client_);
  if (!client_->connected()) return;  // the probe found a broken stream: retried later
  const QmpVersion version = client_->version();
  spdlog::info("input: connected to QEMU {}.{}.{} at {}", version.major, version.minor,
               version.micro, options_.socket_path);
  {
    const std::lock_guard lock(mutex_);
    status_.connected = true;
    status_.version = version;
    status_.has_absolute_pointer = absolute;
    ++status_.connects;
  }
  // Keys pressed before a lost connection may still be down in the guest (QEMU kept running)
  // or not (QEMU restarted); a key-up is harmless in both cases. It goes before anything the
  // UI queues from now on.
  if (!client_->held_keys().empty()) send_pending({ReleaseAllKeys{}});
}

void InputSession::send_pending(std::vector<Pending> pending) {
  std::uint64_t unsupported = 0;
  const std::vector<InputEvent> batch = build_batch(pending, unsupported);
  if (batch.empty()) {
    const std::lock_guard lock(mutex_);
    status_.events_dropped += unsupported;
    return;
  }
  const Status sent = client_->send_events(batch);
  last_send_timed_out_ = !sent && sent.error().code == ErrorCode::kTimeout;
  if (!sent) {
    note_failure(sent.error(), batch.size() + unsupported);
    return;
  }
  const std::lock_guard lock(mutex_);
  ++status_.commands_sent;
  status_.events_sent += batch.size();
  status_.events_dropped += unsupported;
}

std::vector<InputEvent> InputSession::build_batch(const std::vector<Pending>& pending,
                                                  std::uint64_t& unsupported) const {
  // The keys held at each point of the batch: what the client knows QEMU accepted, then the
  // batch's own presses and releases.
  std::set<std::string, std::less<>> held = client_->held_keys();
  std::vector<InputEvent> batch;
  batch.reserve(pending.size());
  for (const Pending& item : pending) {
    if (std::holds_alternative<ReleaseAllKeys>(item)) {
      for (const std::string& qcode : held) batch.emplace_back(KeyEvent{qcode, false});
      held.clear();
      continue;
    }
    const InputEvent& event = std::get<InputEvent>(item);
    if (const auto* key = std::get_if<KeyEvent>(&event)) {
      // Left out here rather than by the client, so the counters say what really went out.
      if (!client_->supports_qcode(key->qcode)) {
        ++unsupported;
        continue;
      }
      if (key->down) {
        held.insert(key->qcode);
      } else if (const auto it = held.find(key->qcode); it != held.end()) {
        held.erase(it);
      }
    }
    batch.push_back(event);
  }
  return batch;
}

void InputSession::note_failure(const Error& error, std::size_t events_lost) {
  const bool lost = !client_->connected();
  if (lost) spdlog::warn("input: lost QEMU: {}", error.message);
  const std::lock_guard lock(mutex_);
  ++status_.send_failures;
  status_.events_dropped += events_lost;
  status_.last_error = error.message;
  if (!lost) return;  // QEMU refused the command or was slow; the connection is still good
  disconnected_locked();
}

void InputSession::disconnected_locked() {
  status_.connected = false;
  // What waits now would only reach the guest late, after a reconnect: drop it, keeping one
  // release request if there was one (held keys are released after the reconnect anyway).
  bool release_requested = false;
  for (const Pending& item : pending_) {
    if (std::holds_alternative<ReleaseAllKeys>(item)) {
      release_requested = true;
    } else {
      ++status_.events_dropped;
    }
  }
  pending_.clear();
  if (release_requested) pending_.emplace_back(ReleaseAllKeys{});
  std::vector<InputEvent> motion;
  motion_.take(motion);
  status_.events_dropped += motion.size();
}

void InputSession::check_idle_connection() {
  const Status alive = client_->check_connection();
  if (alive) return;
  spdlog::warn("input: lost QEMU: {}", alive.error().message);
  const std::lock_guard lock(mutex_);
  status_.last_error = alive.error().message;
  disconnected_locked();
}

void InputSession::release_at_stop() {
  if (!client_ || !client_->connected()) return;
  std::vector<Pending> pending;
  {
    const std::lock_guard lock(mutex_);
    pending.swap(pending_);
    std::vector<InputEvent> motion;
    motion_.take(motion);
    for (InputEvent& event : motion) pending.emplace_back(std::move(event));
    status_.connected = false;
  }
  // A QEMU that just let a command time out would most likely cost another full timeout.
  if (last_send_timed_out_) {
    const std::lock_guard lock(mutex_);
    for (const Pending& item : pending) {
      if (std::holds_alternative<InputEvent>(item)) ++status_.events_dropped;
    }
  } else {
    // What the UI asked for last goes out too (a button released just before quitting must
    // not stay down in the guest), then key-ups for everything held, in one command.
    pending.emplace_back(ReleaseAllKeys{});
    send_pending(std::move(pending));
  }
  client_->disconnect();
}

}  // namespace periscope::input
