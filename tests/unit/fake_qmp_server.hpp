#pragma once
// A scripted fake QEMU for tests: a thread with a listening unix socket in /tmp that plays one
// connection's script (greeting, replies, events, split writes, garbage, closing). Shared by
// the QmpClient and InputSession tests.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/unique_fd.hpp"
#include "input/input_events.hpp"
#include "input/qmp_client.hpp"

namespace periscope::input::fake_qmp {

using namespace std::chrono_literals;

// The server's side of one connection; blocking socket, every wait bounded.
class Peer {
 public:
  Peer(UniqueFd fd, std::vector<std::string>& received, std::mutex& mutex)
      : fd_(std::move(fd)), received_(received), mutex_(mutex) {}

  // The next line the client sent (also recorded), or nullopt on EOF or after `timeout`.
  std::optional<std::string> read_line(Milliseconds timeout = 5000ms) {
    const TimePoint deadline = Clock::now() + timeout;
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        const std::lock_guard lock(mutex_);
        received_.push_back(line);
        return line;
      }
      const auto left = std::chrono::ceil<Milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd pfd{fd_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t got = ::recv(fd_.get(), chunk, sizeof chunk, 0);
      if (got <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }

  // The next command as JSON (null on EOF/timeout/garbage).
  Json read_command() {
    const auto line = read_line();
    if (!line) return nullptr;
    Json command = Json::parse(*line, nullptr, false);
    return command.is_discarded() ? Json(nullptr) : command;
  }

  // Writes everything; false once the client has gone.
  bool write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0) return errno == EINTR ? true : false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Each piece written separately with a pause, so the client sees split reads.
  void write_split(std::string_view bytes, std::size_t piece) {
    while (!bytes.empty()) {
      const auto n = std::min(piece, bytes.size());
      write(bytes.substr(0, n));
      bytes.remove_prefix(n);
      std::this_thread::sleep_for(2ms);
    }
  }

  // The id to echo; null when the client sent nothing usable (the script then carries on and
  // the test's own checks fail, rather than an exception ending the whole binary).
  static Json id_of(const Json& command) {
    if (!command.is_object()) return nullptr;
    return command.value("id", Json(nullptr));
  }

  // QEMU's line ending is CRLF.
  void reply(const Json& command, std::string_view body_without_id) {
    std::string text(body_without_id);
    text.pop_back();  // the closing brace
    text += ", \"id\": " + id_of(command).dump() + "}\r\n";
    write(text);
  }
  void reply_return(const Json& command) { reply(command, R"({"return": {}})"); }

  // Waits for the client to close its end (so the script outlives the client's attempt).
  void wait_for_close() {
    while (read_line()) {
    }
  }

  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  std::string buffer_;
  std::vector<std::string>& received_;
  std::mutex& mutex_;
};

inline std::string unique_socket_path() {
  static std::atomic<int> counter{0};
  return "/tmp/periscope-qmp-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
         ".sock";
}

// Listens at construction (so a client may connect at once), serves one connection with the
// script on its own thread, and joins in the destructor.
class FakeQmpServer {
 public:
  using Script = std::function<void(Peer&)>;

  FakeQmpServer(std::string path, Script script) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size());
    const bool ok =
        listener_ &&
        ::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::listen(listener_.get(), 4) == 0;
    EXPECT_TRUE(ok) << "fake QMP server at " << path_ << ": " << std::strerror(errno);
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd pfd{listener_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 5000) <= 0) return;
      Peer peer(UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)), received_,
                mutex_);
      script(peer);
    });
  }
  FakeQmpServer(const FakeQmpServer&) = delete;
  FakeQmpServer& operator=(const FakeQmpServer&) = delete;
  ~FakeQmpServer() {
    join();
    ::unlink(path_.c_str());
  }

  void join() {
    if (thread_.joinable()) thread_.join();
    listener_.reset();
  }
  // Every line the client sent, in order (complete once joined).
  std::vector<std::string> received() {
    const std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::string path_;
  UniqueFd listener_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

inline constexpr const char* kGreeting =
    R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": )"
    R"("Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}})"
    "\r\n";

inline void serve_handshake(Peer& peer, int major = 7, int minor = 2) {
  peer.write(kGreeting);
  peer.reply_return(peer.read_command());
  peer.reply(peer.read_command(), R"({"return": {"qemu": {"micro": 0, "minor": )" +
                                      std::to_string(minor) + R"(, "major": )" +
                                      std::to_string(major) + R"(}, "package": ""}})");
}

// The handshake and the `query-mice` probe an InputSession sends right after it.
inline void serve_session_start(Peer& peer, int major = 7, int minor = 2, bool tablet = true) {
  serve_handshake(peer, major, minor);
  const std::string mice =
      std::string(R"({"return": [{"name": "QEMU PS/2 Mouse", "index": 0, "current": false, )"
                  R"("absolute": false})") +
      (tablet ? R"(, {"name": "QEMU HID Tablet", "index": 1, "current": true, "absolute": true})"
              : "") +
      "]}";
  peer.reply(peer.read_command(), mice);
}

inline QmpOptions fast_options() {
  QmpOptions options;
  options.timeout = 300ms;
  return options;
}

}  // namespace periscope::input::fake_qmp
