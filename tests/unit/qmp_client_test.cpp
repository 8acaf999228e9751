// QmpClient against a scripted fake QEMU: a thread with a listening unix socket in /tmp that
// plays one connection's script (greeting, replies, events, split writes, garbage, closing).
#include "input/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/unique_fd.hpp"

namespace periscope::input {
namespace {

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

std::string unique_socket_path() {
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

constexpr const char* kGreeting =
    R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": )"
    R"("Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}})"
    "\r\n";

void serve_handshake(Peer& peer, int major = 7, int minor = 2) {
  peer.write(kGreeting);
  peer.reply_return(peer.read_command());
  peer.reply(peer.read_command(), R"({"return": {"qemu": {"micro": 0, "minor": )" +
                                      std::to_string(minor) + R"(, "major": )" +
                                      std::to_string(major) + R"(}, "package": ""}})");
}

QmpOptions fast_options() {
  QmpOptions options;
  options.timeout = 300ms;
  return options;
}

constexpr const char* kPressA =
    R"({"execute":"input-send-event","arguments":{"events":[)"
    R"({"type":"key","data":{"down":true,"key":{"type":"qcode","data":"a"}}}]},"id":3})";

TEST(QmpClient, HandshakeSendsCapabilitiesThenQueryVersion) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    peer.wait_for_close();
  });
  {
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_TRUE(client) << client.error().message;
    EXPECT_TRUE(client->connected());
    EXPECT_EQ(client->version().major, 7);
    EXPECT_EQ(client->version().minor, 2);
    EXPECT_FALSE(client->supports_qcode("f13"));  // QEMU 8.0's
    EXPECT_FALSE(client->supports_qcode("f24"));
    EXPECT_TRUE(client->supports_qcode("f12"));
    EXPECT_TRUE(client->supports_qcode("a"));
    EXPECT_TRUE(client->held_keys().empty());
  }
  server.join();
  const auto lines = server.received();
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], R"({"execute":"qmp_capabilities","id":1})");
  EXPECT_EQ(lines[1], R"({"execute":"query-version","id":2})");
}

TEST(QmpClient, Qemu8KnowsHighFunctionKeys) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer, 8, 0);
    peer.wait_for_close();
  });
  auto client = QmpClient::connect(path, fast_options());
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_TRUE(client->supports_qcode("f13"));
  EXPECT_TRUE(client->supports_qcode("f24"));
}

TEST(QmpClient, SplitWritesEventsAndSeveralLinesPerRead) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    peer.write_split(kGreeting, 7);
    const Json capabilities = peer.read_command();
    // An event, our reply and half of another event in one write.
    peer.write(R"({"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}})"
               "\r\n"
               R"({"return": {}, "id": )" +
               Peer::id_of(capabilities).dump() +
               "}\r\n"
               R"({"event": "STOP", "timest)");
    const Json version = peer.read_command();
    peer.write("amp\": {\"seconds\": 3, \"microseconds\": 4}}\r\n\r\n");
    std::string reply = R"({"return": {"qemu": {"micro": 1, "minor": 1, "major": 9}}, "id": )" +
                        Peer::id_of(version).dump() + "}\r\n";
    peer.write_split(reply, 5);
    peer.wait_for_close();
  });
  auto client = QmpClient::connect(path, fast_options());
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_EQ(client->version().major, 9);
  EXPECT_EQ(client->version().minor, 1);
  EXPECT_EQ(client->version().micro, 1);
}

TEST(QmpClient, KeyPressAndReleaseOnTheWire) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    peer.reply_return(peer.read_command());
    peer.reply_return(peer.read_command());
    peer.wait_for_close();
  });
  {
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_TRUE(client) << client.error().message;
    const std::vector<InputEvent> press{KeyEvent{"a", true}};
    ASSERT_TRUE(client->send_events(press));
    EXPECT_EQ(client->held_keys(), (std::set<std::string, std::less<>>{"a"}));
    const std::vector<InputEvent> release{KeyEvent{"a", false}};
    ASSERT_TRUE(client->send_events(release));
    EXPECT_TRUE(client->held_keys().empty());
  }
  server.join();
  const auto lines = server.received();
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[2], kPressA);  // byte for byte
  EXPECT_EQ(Json::parse(lines[3]), Json::parse(R"({"execute":"input-send-event","arguments":{
    "events":[{"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}}]},"id":4})"));
}

TEST(QmpClient, ButtonsAndMotionOnTheWire) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    peer.reply_return(peer.read_command());
    peer.wait_for_close();
  });
  {
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_TRUE(client) << client.error().message;
    MotionCoalescer motion;
    motion.add_relative(1, 2);
    motion.add_relative(2, 2);
    motion.add_relative(3, -1);
    motion.set_absolute({16384, 100});
    std::vector<InputEvent> batch;
    motion.take(batch);
    batch.emplace_back(ButtonEvent{Button::kWheelDown, true});
    ASSERT_TRUE(client->send_events(batch));
  }
  server.join();
  const auto lines = server.received();
  ASSERT_EQ(lines.size(), 3U);  // three deltas, one command
  EXPECT_EQ(Json::parse(lines[2]), Json::parse(R"({"execute":"input-send-event","arguments":{
    "events":[{"type":"rel","data":{"axis":"x","value":6}},
              {"type":"rel","data":{"axis":"y","value":3}},
              {"type":"abs","data":{"axis":"x","value":16384}},
              {"type":"abs","data":{"axis":"y","value":100}},
              {"type":"btn","data":{"down":true,"button":"wheel-down"}}]},"id":3})"));
}

TEST(QmpClient, VmNotRunningIsAnErrorValueAndTheConnectionStays) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    peer.reply(peer.read_command(),
               R"({"error": {"class": "GenericError", "desc": "VM not running"}})");
    peer.reply_return(peer.read_command());
    peer.wait_for_close();
  });
  auto client = QmpClient::connect(path, fast_options());
  ASSERT_TRUE(client) << client.error().message;
  const std::vector<InputEvent> press{KeyEvent{"a", true}};
  const auto refused = client->send_events(press);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("VM not running"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("GenericError"), std::string::npos);
  ASSERT_TRUE(client->last_qemu_error());
  EXPECT_EQ(client->last_qemu_error()->error_class, "GenericError");
  EXPECT_EQ(client->last_qemu_error()->desc, "VM not running");
  EXPECT_TRUE(client->connected());
  EXPECT_TRUE(client->held_keys().empty());  // the press never reached the guest
  ASSERT_TRUE(client->send_events(press));
  EXPECT_EQ(client->held_keys().count("a"), 1U);
}

TEST(QmpClient, ReleaseAllKeysReleasesExactlyTheHeldKeys) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    for (int i = 0; i < 4; ++i) peer.reply_return(peer.read_command());
    peer.wait_for_close();
  });
  {
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_TRUE(client) << client.error().message;
    const std::vector<InputEvent> first{KeyEvent{"shift", true}, KeyEvent{"a", true}};
    ASSERT_TRUE(client->send_events(first));
    const std::vector<InputEvent> second{KeyEvent{"b", true}};
    ASSERT_TRUE(client->send_events(second));
    const std::vector<InputEvent> third{KeyEvent{"b", false}};
    ASSERT_TRUE(client->send_events(third));
    ASSERT_TRUE(client->release_all_keys());
    EXPECT_TRUE(client->held_keys().empty());
    ASSERT_TRUE(client->release_all_keys());  // nothing held: nothing sent
  }
  server.join();
  const auto lines = server.received();
  ASSERT_EQ(lines.size(), 6U);
  EXPECT_EQ(Json::parse(lines[5]), Json::parse(R"({"execute":"input-send-event","arguments":{
    "events":[{"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}},
              {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"shift"}}}]},
    "id":6})"));
}

TEST(QmpClient, KeysThisQemuLacksAreLeftOut) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);  // 7.2: no f13..f24
    peer.reply_return(peer.read_command());
    peer.wait_for_close();
  });
  {
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_TRUE(client) << client.error().message;
    const std::vector<InputEvent> mixed{KeyEvent{"f13", true}, KeyEvent{"a", true}};
    ASSERT_TRUE(client->send_events(mixed));
    const std::vector<InputEvent> only_new{KeyEvent{"f24", true}};
    ASSERT_TRUE(client->send_events(only_new));  // nothing left: nothing sent
    EXPECT_EQ(client->held_keys(), (std::set<std::string, std::less<>>{"a"}));
  }
  server.join();
  const auto lines = server.received();
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[2], kPressA);
}

TEST(QmpClient, ServerClosingMidSessionIsAnErrorAndReconnectWorks) {
  const std::string path = unique_socket_path();
  auto client = [&] {
    FakeQmpServer first(path, [](Peer& peer) {
      serve_handshake(peer);
      peer.reply_return(peer.read_command());  // the press of "a"
      peer.read_command();                     // then QEMU goes away without answering
      peer.close();
    });
    auto connected = QmpClient::connect(path, fast_options());
    EXPECT_TRUE(connected) << connected.error().message;
    if (!connected) return connected;
    const std::vector<InputEvent> press{KeyEvent{"a", true}};
    EXPECT_TRUE(connected->send_events(press));
    const std::vector<InputEvent> press_b{KeyEvent{"b", true}};
    const TimePoint start = Clock::now();
    const auto lost = connected->send_events(press_b);
    EXPECT_FALSE(lost);
    if (!lost) {
      EXPECT_EQ(lost.error().code, ErrorCode::kIo);
    }
    EXPECT_LT(Clock::now() - start, 250ms);  // the close is seen at once, not as a timeout
    EXPECT_FALSE(connected->connected());
    return connected;
  }();
  ASSERT_TRUE(client);
  const std::vector<InputEvent> press_c{KeyEvent{"c", true}};
  const auto refused = client->send_events(press_c);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kIo);
  EXPECT_FALSE(client->reconnect());  // nobody listening yet

  FakeQmpServer second(path, [](Peer& peer) {
    serve_handshake(peer, 8, 1);
    peer.reply_return(peer.read_command());
    peer.wait_for_close();
  });
  const auto reconnected = client->reconnect();
  ASSERT_TRUE(reconnected) << reconnected.error().message;
  EXPECT_TRUE(client->connected());
  EXPECT_EQ(client->version().major, 8);
  // "a" went down before the loss and may still be down in the guest.
  EXPECT_EQ(client->held_keys(), (std::set<std::string, std::less<>>{"a"}));
  ASSERT_TRUE(client->release_all_keys());
  client->disconnect();
  second.join();
  const auto lines = second.received();
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(Json::parse(lines[2])["arguments"]["events"], Json::parse(R"([
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}}])"));
}

TEST(QmpClient, SilentServerTimesOutWithinTheBound) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    peer.write(kGreeting);
    peer.wait_for_close();  // reads, never answers
  });
  QmpOptions options;
  options.timeout = 200ms;
  const TimePoint start = Clock::now();
  auto client = QmpClient::connect(path, options);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kTimeout) << client.error().message;
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 1000ms);
}

TEST(QmpClient, LateReplyToATimedOutCommandIsSkippedById) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    const Json slow = peer.read_command();  // not answered in time
    const Json next = peer.read_command();
    peer.reply(slow, R"({"return": {"late": true}})");
    peer.reply(next, R"({"return": {"late": false}})");
    peer.wait_for_close();
  });
  auto client = QmpClient::connect(path, fast_options());
  ASSERT_TRUE(client) << client.error().message;
  Json stop = Json::object();
  stop["execute"] = "stop";
  const auto timed_out = client->send(stop);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(client->connected());
  const auto answered = client->send(stop);
  ASSERT_TRUE(answered) << answered.error().message;
  EXPECT_EQ(*answered, Json::parse(R"({"late": false})"));
}

TEST(QmpClient, OversizedReplyIsRefused) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    peer.read_command();
    const std::string junk(64 * 1024, 'x');
    // 2 MiB without a line end; stops once the client hangs up.
    for (int i = 0; i < 32 && peer.write(junk); ++i) {
    }
  });
  auto client = QmpClient::connect(path);  // the default 1 MiB cap, 1 s timeout
  ASSERT_TRUE(client) << client.error().message;
  const std::vector<InputEvent> press{KeyEvent{"a", true}};
  const auto refused = client->send_events(press);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kProtocol) << refused.error().message;
  EXPECT_FALSE(client->connected());
}

TEST(QmpClient, GarbageLineIsAProtocolError) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    peer.read_command();
    peer.write("this is not QMP\r\n");
    peer.wait_for_close();
  });
  auto client = QmpClient::connect(path, fast_options());
  ASSERT_TRUE(client) << client.error().message;
  const std::vector<InputEvent> press{KeyEvent{"a", true}};
  const auto refused = client->send_events(press);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kProtocol) << refused.error().message;
  EXPECT_FALSE(client->connected());
  EXPECT_TRUE(client->held_keys().empty());
}

TEST(QmpClient, MistypedVersionOrMissingGreetingFailsTheHandshake) {
  const std::string path = unique_socket_path();
  {
    FakeQmpServer server(path, [](Peer& peer) {
      peer.write(kGreeting);
      peer.reply_return(peer.read_command());
      peer.reply(peer.read_command(),
                 R"({"return": {"qemu": {"micro": 0, "minor": 2, "major": "seven"}}})");
      peer.wait_for_close();
    });
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, ErrorCode::kProtocol) << client.error().message;
  }
  {
    FakeQmpServer server(path, [](Peer& peer) {
      peer.write("{\"return\": {}}\r\n");
      peer.wait_for_close();
    });
    auto client = QmpClient::connect(path, fast_options());
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, ErrorCode::kProtocol) << client.error().message;
  }
}

TEST(QmpClient, MissingSocketFailsAtOnce) {
  auto client = QmpClient::connect(unique_socket_path(), fast_options());
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kIo);
  EXPECT_EQ(client.error().errno_value, ENOENT);
}

}  // namespace
}  // namespace periscope::input
