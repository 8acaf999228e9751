#include "input/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <limits>
#include <vector>

#include "common/log.hpp"

namespace periscope::input {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

// poll() takes whole milliseconds; round up so we never wake just before the deadline.
int poll_timeout_ms(TimePoint deadline) {
  const auto left = deadline - Clock::now();
  if (left <= Nanoseconds::zero()) return 0;
  const auto ms = std::chrono::ceil<Milliseconds>(left).count();
  return static_cast<int>(std::min<std::int64_t>(ms, INT_MAX));
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// A non-negative integer member small enough for an int, or nullopt.
std::optional<int> small_int_member(const Json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(INT_MAX)) return std::nullopt;
    return static_cast<int>(value);
  }
  const auto value = it->get<std::int64_t>();
  if (value < 0 || value > INT_MAX) return std::nullopt;
  return static_cast<int>(value);
}

std::string string_member_or(const Json& object, const char* name, std::string fallback) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

// "f13".."f24": the function keys QEMU added in 8.0.
bool is_high_function_key(std::string_view qcode) {
  if (qcode.size() != 3 || qcode[0] != 'f') return false;
  int number = 0;
  const auto [end, ec] = std::from_chars(qcode.data() + 1, qcode.data() + qcode.size(), number);
  return ec == std::errc{} && end == qcode.data() + qcode.size() && number >= 13 && number <= 24;
}

Result<UniqueFd> open_unix_socket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return fail(ErrorCode::kInvalidArgument, "QMP socket path '{}' is empty or too long", path);
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno(errno, "socket(AF_UNIX)");
  // A unix-socket connect completes at once or fails at once (EAGAIN: the listener's backlog
  // is full), so there is nothing to wait for here.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return fail_errno(errno, "connect to QMP socket " + path);
  }
  return fd;
}

}  // namespace

Result<QmpClient> QmpClient::connect(std::string socket_path, QmpOptions options) {
  QmpClient client(std::move(socket_path), options);
  if (auto status = client.open_and_handshake(); !status) return tl::unexpected(status.error());
  return client;
}

Status QmpClient::reconnect() {
  disconnect();
  return open_and_handshake();
}

void QmpClient::disconnect() {
  fd_.reset();
  buffer_.clear();
}

Status QmpClient::check_connection() {
  if (!connected()) return fail(ErrorCode::kIo, "QMP: not connected to {}", path_);
  std::array<char, kReadChunk> chunk;
  for (;;) {
    const ssize_t got = ::recv(fd_.get(), chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (got == 0) return drop(fail(ErrorCode::kIo, "QMP: QEMU closed the socket {}", path_));
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      return drop(fail_errno(errno, "read from QMP socket"));
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(got));
    // With no command outstanding a complete line is an event or a late reply, both of which
    // send() would skip anyway; keep only the unfinished tail so idle time cannot grow the
    // buffer.
    if (const auto end = buffer_.rfind('\n'); end != std::string::npos) buffer_.erase(0, end + 1);
    if (buffer_.size() > options_.max_line_bytes) {
      return drop(fail(ErrorCode::kProtocol, "QMP: more than {} bytes without a line end",
                       options_.max_line_bytes));
    }
  }
}

Status QmpClient::open_and_handshake() {
  auto fd = open_unix_socket(path_);
  if (!fd) return tl::unexpected(fd.error());
  fd_ = std::move(*fd);
  buffer_.clear();
  if (auto status = handshake(); !status) {
    disconnect();
    return status;
  }
  return {};
}

Status QmpClient::handshake() {
  auto greeting = read_object(Clock::now() + options_.timeout);
  if (!greeting) return tl::unexpected(greeting.error());
  const auto qmp = greeting->find("QMP");
  if (qmp == greeting->end() || !qmp->is_object()) {
    return drop(fail(ErrorCode::kProtocol, "QMP: the first line is not a QMP greeting"));
  }

  Json capabilities = Json::object();
  capabilities["execute"] = "qmp_capabilities";
  auto accepted = send(std::move(capabilities));
  if (!accepted) return tl::unexpected(accepted.error());

  Json query = Json::object();
  query["execute"] = "query-version";
  auto reply = send(std::move(query));
  if (!reply) return tl::unexpected(reply.error());
  const auto qemu = reply->is_object() ? reply->find("qemu") : reply->end();
  if (qemu == reply->end() || !qemu->is_object()) {
    return drop(fail(ErrorCode::kProtocol, "QMP: query-version reply has no qemu object"));
  }
  const auto major = small_int_member(*qemu, "major");
  const auto minor = small_int_member(*qemu, "minor");
  const auto micro = small_int_member(*qemu, "micro");
  if (!major || !minor || !micro) {
    return drop(fail(ErrorCode::kProtocol, "QMP: query-version numbers are not integers"));
  }
  version_ = {*major, *minor, *micro};
  return {};
}

bool QmpClient::supports_qcode(std::string_view qcode) const {
  if (is_high_function_key(qcode)) return version_.major >= 8;
  return !qcode.empty();
}

Result<Json> QmpClient::send(Json command) {
  if (!connected()) {
    return fail(ErrorCode::kIo, "QMP: not connected to {} (reconnect first)", path_);
  }
  const std::uint64_t id = next_id_++;
  command["id"] = id;
  // `replace`: a caller's invalid UTF-8 must not throw out of dump().
  std::string text = command.dump(-1, ' ', false, Json::error_handler_t::replace);
  text += '\n';
  if (auto status = write_all(text, Clock::now() + options_.timeout); !status) {
    return tl::unexpected(status.error());
  }

  const TimePoint deadline = Clock::now() + options_.timeout;
  for (;;) {
    auto reply = read_object(deadline);
    if (!reply) return tl::unexpected(reply.error());
    if (reply->contains("event")) continue;  // asynchronous; not for us
    const auto reply_id = reply->find("id");
    const auto error = reply->find("error");
    if (reply_id != reply->end()) {
      // A late reply to a command that timed out earlier.
      if (*reply_id != Json(id)) continue;
    } else if (error == reply->end()) {
      // Only a command QEMU could not read at all is answered without its id, and then with
      // an error; anything else id-less cannot be ours.
      continue;
    }
    if (const auto result = reply->find("return"); result != reply->end()) return *result;
    if (error != reply->end() && error->is_object()) {
      QemuError qemu_error{string_member_or(*error, "class", "unknown"),
                           string_member_or(*error, "desc", "")};
      last_qemu_error_ = qemu_error;
      const std::string what = string_member_or(command, "execute", "command");
      // CommandNotFound: this QEMU lacks the command; anything else: it refused this one.
      const ErrorCode code = qemu_error.error_class == "CommandNotFound"
                                 ? ErrorCode::kUnsupported
                                 : ErrorCode::kInvalidArgument;
      return fail(code, "QMP {} failed: {}: {}", what, qemu_error.error_class, qemu_error.desc);
    }
    return drop(fail(ErrorCode::kProtocol, "QMP: reply has neither return nor error object"));
  }
}

Status QmpClient::send_events(std::span<const InputEvent> events) {
  std::vector<InputEvent> kept;
  kept.reserve(events.size());
  for (const InputEvent& event : events) {
    if (const auto* key = std::get_if<KeyEvent>(&event); key && !supports_qcode(key->qcode)) {
      spdlog::debug("QMP: QEMU {}.{} has no key '{}'; left out", version_.major, version_.minor,
                    key->qcode);
      continue;
    }
    kept.push_back(event);
  }
  if (kept.empty()) return {};
  auto reply = send(input_send_event_command(kept));
  if (!reply) return tl::unexpected(reply.error());
  // Only now: a press QEMU refused never reached the guest, and a refused release leaves the
  // key down there, so it must stay in the set for release_all_keys().
  for (const InputEvent& event : kept) {
    if (const auto* key = std::get_if<KeyEvent>(&event)) {
      if (key->down) {
        held_.insert(key->qcode);
      } else if (const auto it = held_.find(key->qcode); it != held_.end()) {
        held_.erase(it);
      }
    }
  }
  return {};
}

Status QmpClient::release_all_keys() {
  if (held_.empty()) return {};
  std::vector<InputEvent> releases;
  releases.reserve(held_.size());
  for (const std::string& qcode : held_) releases.emplace_back(KeyEvent{qcode, false});
  return send_events(releases);
}

Result<Json> QmpClient::read_object(TimePoint deadline) {
  for (;;) {
    auto line = read_line(deadline);
    if (!line) return tl::unexpected(line.error());
    if (is_blank(*line)) continue;
    Json parsed = Json::parse(*line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return drop(fail(ErrorCode::kProtocol, "QMP: a line from QEMU is not a JSON object"));
    }
    return parsed;
  }
}

Result<std::string> QmpClient::read_line(TimePoint deadline) {
  std::size_t scanned = 0;  // bytes already known to hold no line end
  for (;;) {
    const std::size_t end = buffer_.find('\n', scanned);
    if (end != std::string::npos) {
      if (end > options_.max_line_bytes) {
        return drop(fail(ErrorCode::kProtocol, "QMP: a line longer than {} bytes",
                         options_.max_line_bytes));
      }
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return line;
    }
    scanned = buffer_.size();
    if (buffer_.size() > options_.max_line_bytes) {
      return drop(fail(ErrorCode::kProtocol, "QMP: more than {} bytes without a line end",
                       options_.max_line_bytes));
    }
    if (!connected()) return fail(ErrorCode::kIo, "QMP: not connected to {}", path_);

    pollfd pfd{fd_.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, poll_timeout_ms(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return drop(fail_errno(errno, "poll on QMP socket"));
    }
    if (ready == 0) {
      return fail(ErrorCode::kTimeout, "QMP: no reply from QEMU within {} ms",
                  options_.timeout.count());
    }
    std::array<char, kReadChunk> chunk;
    const ssize_t got = ::recv(fd_.get(), chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (got == 0) return drop(fail(ErrorCode::kIo, "QMP: QEMU closed the socket {}", path_));
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return drop(fail_errno(errno, "read from QMP socket"));
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

Status QmpClient::write_all(std::string_view bytes, TimePoint deadline) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a QEMU that went away must give us EPIPE, not kill us with SIGPIPE.
    const ssize_t sent = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return drop(fail_errno(errno, "write to QMP socket"));
    }
    pollfd pfd{fd_.get(), POLLOUT, 0};
    const int ready = ::poll(&pfd, 1, poll_timeout_ms(deadline));
    if (ready < 0 && errno != EINTR) return drop(fail_errno(errno, "poll on QMP socket"));
    // Half a command on the wire leaves the stream unusable: drop rather than keep it.
    if (ready == 0) {
      return drop(
          fail(ErrorCode::kTimeout, "QMP: QEMU took no input for {} ms", options_.timeout.count()));
    }
  }
  return {};
}

tl::unexpected<Error> QmpClient::drop(tl::unexpected<Error> error) {
  disconnect();
  return error;
}

}  // namespace periscope::input
