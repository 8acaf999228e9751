// QmpClient against a scripted fake QEMU (fake_qmp_server.hpp): greeting, replies, events,
// split writes, garbage, closing.
#include "input/qmp_client.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_qmp_server.hpp"

namespace periscope::input {
namespace {

using namespace std::chrono_literals;
using fake_qmp::FakeQmpServer;
using fake_qmp::fast_options;
using fake_qmp::kGreeting;
using fake_qmp::Peer;
using fake_qmp::serve_handshake;
using fake_qmp::unique_socket_path;

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

TEST(QmpClient, CheckConnectionSkipsUnpromptedLinesAndNoticesAClose) {
  const std::string path = unique_socket_path();
  std::promise<void> event_sent;
  FakeQmpServer server(path, [&event_sent](Peer& peer) {
    serve_handshake(peer);
    // A whole event and half of another, as QEMU may leave them while we are idle.
    peer.write(R"({"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}})"
               "\r\n"
               R"({"event": "RESUME", "timest)");
    event_sent.set_value();
    const Json press = peer.read_command();
    peer.write("amp\": {\"seconds\": 3, \"microseconds\": 4}}\r\n");
    peer.reply_return(press);
    peer.close();
  });
  auto client = QmpClient::connect(path, fast_options());
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_EQ(event_sent.get_future().wait_for(5s), std::future_status::ready);
  std::this_thread::sleep_for(20ms);  // let the bytes arrive
  EXPECT_TRUE(client->check_connection());
  EXPECT_TRUE(client->connected());
  const std::vector<InputEvent> press{KeyEvent{"a", true}};
  const auto sent = client->send_events(press);  // the kept half line does not confuse it
  ASSERT_TRUE(sent) << sent.error().message;
  server.join();  // closed now
  const auto closed = client->check_connection();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, ErrorCode::kIo) << closed.error().message;
  EXPECT_FALSE(client->connected());
  EXPECT_FALSE(client->check_connection());
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
