// InputSession against the scripted fake QEMU (fake_qmp_server.hpp): what reaches the wire,
// batching while a command is in flight, reconnecting, and bounded waits.
#include "input/input_session.hpp"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fake_qmp_server.hpp"

namespace periscope::input {
namespace {

using namespace std::chrono_literals;
using fake_qmp::FakeQmpServer;
using fake_qmp::Peer;
using fake_qmp::serve_handshake;
using fake_qmp::serve_session_start;
using fake_qmp::unique_socket_path;

constexpr Milliseconds kInterval = 50ms;  // the reconnect interval in these tests
constexpr Milliseconds kQmpTimeout = 200ms;

InputSessionOptions fast_options(const std::string& path) {
  InputSessionOptions options;
  options.socket_path = path;
  options.reconnect_interval = kInterval;
  options.qmp.timeout = kQmpTimeout;
  return options;
}

// Polls `condition` until it holds or `timeout` passes; whether it held.
template <typename Condition>
bool eventually(Condition condition, Milliseconds timeout = 3000ms) {
  const TimePoint deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Answers every command with an empty return until the client hangs up.
void reply_to_everything(Peer& peer) {
  for (Json command = peer.read_command(); !command.is_null(); command = peer.read_command()) {
    peer.reply_return(command);
  }
}

// Holds the reply to the first command after the handshake until the test opens the gate, so
// the test knows a command is in flight while it queues more.
struct Gate {
  std::promise<void> reached;
  std::promise<void> open;

  void serve(Peer& peer) {
    serve_session_start(peer);
    const Json first = peer.read_command();
    reached.set_value();
    open.get_future().wait_for(5s);
    peer.reply_return(first);
    reply_to_everything(peer);
  }
  [[nodiscard]] bool wait_reached() {
    return reached.get_future().wait_for(5s) == std::future_status::ready;
  }
};

// The "events" of an input-send-event line, or null when the line is something else.
Json events_of(const std::string& line) {
  Json command = Json::parse(line, nullptr, false);
  if (command.is_discarded() || command.value("execute", "") != "input-send-event") return nullptr;
  return command["arguments"]["events"];
}

// What the client sent, without the `query-mice` probe that follows every handshake (so the
// tests below count the handshake and the input commands only).
std::vector<std::string> sent_lines(FakeQmpServer& server) {
  std::vector<std::string> lines = server.received();
  std::erase_if(lines,
                [](const std::string& l) { return l.find("query-mice") != std::string::npos; });
  return lines;
}

std::vector<std::string> lines_once_at_least(FakeQmpServer& server, std::size_t count) {
  EXPECT_TRUE(eventually([&] { return sent_lines(server).size() >= count; }))
      << "the server got " << sent_lines(server).size() << " lines, expected " << count;
  return sent_lines(server);
}

bool connected(const InputSession& session) {
  return session.status().connected;
}

TEST(InputSession, TheProbeSaysWhetherTheVmHasATablet) {
  for (const bool tablet : {true, false}) {
    const std::string path = unique_socket_path();
    FakeQmpServer server(path, [tablet](Peer& peer) {
      serve_session_start(peer, 7, 2, tablet);
      reply_to_everything(peer);
    });
    InputSession session(fast_options(path));
    session.start();
    ASSERT_TRUE(eventually([&] { return connected(session); }));
    EXPECT_EQ(session.status().has_absolute_pointer, tablet);
    EXPECT_NE(server.received().at(2).find("query-mice"), std::string::npos);
    session.stop();
  }
  // A reply of another shape is "unknown", and the session still works.
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_handshake(peer);
    reply_to_everything(peer);  // {"return": {}} to query-mice
  });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  EXPECT_FALSE(session.status().has_absolute_pointer);
  session.stop();
}

TEST(InputSession, KeyPressAndReleaseOnTheWire) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    reply_to_everything(peer);
  });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  const InputSessionStatus status = session.status();
  ASSERT_TRUE(status.version);
  EXPECT_EQ(status.version->major, 7);
  EXPECT_EQ(status.version->minor, 2);
  EXPECT_EQ(status.connects, 1U);

  session.key("a", true);
  lines_once_at_least(server, 3);
  session.key("a", false);
  const auto lines = lines_once_at_least(server, 4);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0], R"({"execute":"qmp_capabilities","id":1})");
  EXPECT_EQ(lines[1], R"({"execute":"query-version","id":2})");
  EXPECT_EQ(lines[2],
            R"({"execute":"input-send-event","arguments":{"events":[)"
            R"({"type":"key","data":{"down":true,"key":{"type":"qcode","data":"a"}}}]},"id":4})");
  EXPECT_EQ(lines[3],
            R"({"execute":"input-send-event","arguments":{"events":[)"
            R"({"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}}]},"id":5})");
  ASSERT_TRUE(eventually([&] { return session.status().commands_sent == 2; }));
  EXPECT_EQ(session.status().events_sent, 2U);
  EXPECT_EQ(session.status().events_dropped, 0U);
  session.stop();
  server.join();
  EXPECT_EQ(sent_lines(server).size(), 4U);  // nothing held at stop: nothing more sent
}

TEST(InputSession, ButtonAndAbsolutePositionOnTheWire) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    reply_to_everything(peer);
  });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.button(Button::kRight, true);
  lines_once_at_least(server, 3);
  session.move_absolute({16384, 8192});
  const auto lines = lines_once_at_least(server, 4);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[2], R"({"execute":"input-send-event","arguments":{"events":[)"
                      R"({"type":"btn","data":{"down":true,"button":"right"}}]},"id":4})");
  EXPECT_EQ(lines[3], R"({"execute":"input-send-event","arguments":{"events":[)"
                      R"({"type":"abs","data":{"axis":"x","value":16384}},)"
                      R"({"type":"abs","data":{"axis":"y","value":8192}}]},"id":5})");
}

TEST(InputSession, WhatArrivesDuringARoundTripGoesOutAsOneCoalescedCommandInOrder) {
  const std::string path = unique_socket_path();
  Gate gate;
  FakeQmpServer server(path, [&gate](Peer& peer) { gate.serve(peer); });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.key("shift", true);
  ASSERT_TRUE(gate.wait_reached());  // command 3 is in flight now
  for (int i = 0; i < 50; ++i) session.move_relative(1, 2);
  session.move_absolute({100, 100});
  session.move_absolute({200, 300});  // the latest wins
  session.button(Button::kLeft, true);
  session.move_relative(5, -5);  // after the click: must stay after it
  gate.open.set_value();
  const auto lines = lines_once_at_least(server, 4);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(events_of(lines[3]), Json::parse(R"([
    {"type":"rel","data":{"axis":"x","value":50}},
    {"type":"rel","data":{"axis":"y","value":100}},
    {"type":"abs","data":{"axis":"x","value":200}},
    {"type":"abs","data":{"axis":"y","value":300}},
    {"type":"btn","data":{"down":true,"button":"left"}},
    {"type":"rel","data":{"axis":"x","value":5}},
    {"type":"rel","data":{"axis":"y","value":-5}}])"));
  ASSERT_TRUE(eventually([&] { return session.status().commands_sent == 2; }));
  EXPECT_EQ(session.status().events_sent, 5U);  // key; rel, abs, btn, rel
}

TEST(InputSession, ReleaseAllKeysReleasesExactlyTheHeldKeys) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    reply_to_everything(peer);
  });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.key("shift", true);
  session.key("a", true);
  session.key("b", true);
  session.key("b", false);
  ASSERT_TRUE(eventually([&] { return session.status().events_sent == 4; }));
  const std::size_t before = sent_lines(server).size();
  session.release_all_keys();
  const auto lines = lines_once_at_least(server, before + 1);
  EXPECT_EQ(events_of(lines[before]), Json::parse(R"([
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}},
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"shift"}}}])"));
  ASSERT_TRUE(eventually([&] { return session.status().events_sent == 6; }));
  session.release_all_keys();  // nothing held any more: nothing to send
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sent_lines(server).size(), before + 1);
  session.stop();
  EXPECT_EQ(sent_lines(server).size(), before + 1);
}

TEST(InputSession, ReleaseAllKeysInABatchReleasesWhatIsHeldAtThatPoint) {
  const std::string path = unique_socket_path();
  Gate gate;
  FakeQmpServer server(path, [&gate](Peer& peer) { gate.serve(peer); });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.key("x", true);
  ASSERT_TRUE(gate.wait_reached());
  session.key("y", true);
  session.release_all_keys();  // focus lost: x (sent) and y (queued) are held
  session.release_all_keys();  // a repeat changes nothing
  session.key("z", true);      // focus back, a new press
  gate.open.set_value();
  const auto lines = lines_once_at_least(server, 4);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(events_of(lines[3]), Json::parse(R"([
    {"type":"key","data":{"down":true,"key":{"type":"qcode","data":"y"}}},
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"x"}}},
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"y"}}},
    {"type":"key","data":{"down":true,"key":{"type":"qcode","data":"z"}}}])"));
}

TEST(InputSession, QueueIsBoundedWhileACommandIsInFlight) {
  const std::string path = unique_socket_path();
  Gate gate;
  FakeQmpServer server(path, [&gate](Peer& peer) { gate.serve(peer); });
  InputSessionOptions options = fast_options(path);
  options.max_pending_events = 4;
  InputSession session(options);
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.key("a", true);
  ASSERT_TRUE(gate.wait_reached());
  for (int i = 0; i < 5; ++i) {
    session.key("b", true);
    session.key("b", false);
  }
  EXPECT_EQ(session.status().events_dropped, 6U);
  gate.open.set_value();
  const auto lines = lines_once_at_least(server, 4);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(events_of(lines[3]).size(), 4U);
}

TEST(InputSession, MissingSocketIsRetriedUntilQemuAppears) {
  const std::string path = unique_socket_path();
  InputSession session(fast_options(path));
  session.start();
  std::this_thread::sleep_for(3 * kInterval);
  const InputSessionStatus waiting = session.status();
  EXPECT_FALSE(waiting.connected);
  EXPECT_EQ(waiting.connects, 0U);
  EXPECT_NE(waiting.last_error.find(path), std::string::npos) << waiting.last_error;
  EXPECT_NE(waiting.last_error.find("No such file"), std::string::npos) << waiting.last_error;
  session.key("a", true);  // nowhere to go: dropped, not queued
  session.move_relative(1, 1);
  EXPECT_EQ(session.status().events_dropped, 2U);

  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    reply_to_everything(peer);
  });
  const TimePoint appeared = Clock::now();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  // Within about two intervals (one to come round, slack for a loaded machine).
  EXPECT_LT(Clock::now() - appeared, 6 * kInterval);
  EXPECT_EQ(session.status().connects, 1U);
  std::this_thread::sleep_for(2 * kInterval);
  EXPECT_EQ(sent_lines(server).size(), 2U);  // the handshake only: the dropped key stays dropped
  session.stop();                            // before the server waits for the hang-up
}

TEST(InputSession, ClosedSocketIsNoticedAndANewQemuGetsTheHeldKeysReleased) {
  const std::string path = unique_socket_path();
  InputSession session(fast_options(path));
  {
    FakeQmpServer first(path, [](Peer& peer) {
      serve_session_start(peer);
      peer.reply_return(peer.read_command());  // the press of "a"
      peer.close();                            // QEMU goes away
    });
    session.start();
    ASSERT_TRUE(eventually([&] { return connected(session); }));
    session.key("a", true);
    ASSERT_TRUE(eventually([&] { return session.status().events_sent == 1; }));
    // Noticed while idle, without a command to fail.
    ASSERT_TRUE(eventually([&] { return !connected(session); }, 10 * kInterval));
    EXPECT_NE(session.status().last_error.find("closed"), std::string::npos)
        << session.status().last_error;
  }
  session.key("b", true);  // while disconnected: dropped
  EXPECT_EQ(session.status().events_dropped, 1U);

  FakeQmpServer second(path, [](Peer& peer) {
    serve_session_start(peer, 8, 1);
    reply_to_everything(peer);
  });
  ASSERT_TRUE(eventually([&] { return session.status().connects == 2; }));
  EXPECT_TRUE(connected(session));
  EXPECT_EQ(session.status().version->major, 8);
  const auto lines = lines_once_at_least(second, 3);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(events_of(lines[2]), Json::parse(R"([
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"a"}}}])"));
  session.stop();  // before the server waits for the hang-up
}

TEST(InputSession, QemuRefusingACommandCountsAFailureAndKeepsTheConnection) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    peer.reply(peer.read_command(),
               R"({"error": {"class": "GenericError", "desc": "VM not running"}})");
    reply_to_everything(peer);
  });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.key("a", true);
  ASSERT_TRUE(eventually([&] { return session.status().send_failures == 1; }));
  InputSessionStatus status = session.status();
  EXPECT_TRUE(status.connected);
  EXPECT_NE(status.last_error.find("VM not running"), std::string::npos) << status.last_error;
  EXPECT_EQ(status.events_dropped, 1U);
  EXPECT_EQ(status.commands_sent, 0U);
  session.key("a", true);
  ASSERT_TRUE(eventually([&] { return session.status().commands_sent == 1; }));
  status = session.status();
  EXPECT_EQ(status.connects, 1U);
  EXPECT_EQ(status.events_sent, 1U);
}

TEST(InputSession, StopReleasesHeldKeysAndSendsWhatIsPending) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    reply_to_everything(peer);
  });
  {
    InputSession session(fast_options(path));
    session.start();
    ASSERT_TRUE(eventually([&] { return connected(session); }));
    session.key("ctrl", true);
    ASSERT_TRUE(eventually([&] { return session.status().events_sent == 1; }));
  }  // the destructor stops
  server.join();
  const auto lines = sent_lines(server);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(events_of(lines[3]), Json::parse(R"([
    {"type":"key","data":{"down":false,"key":{"type":"qcode","data":"ctrl"}}}])"));
}

TEST(InputSession, StopIsBoundedWhenQemuNeverAnswers) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) {
    serve_session_start(peer);
    peer.wait_for_close();  // reads commands, answers none
  });
  InputSession session(fast_options(path));
  session.start();
  ASSERT_TRUE(eventually([&] { return connected(session); }));
  session.key("a", true);
  lines_once_at_least(server, 3);  // in flight, never to be answered
  session.key("b", true);
  const TimePoint start = Clock::now();
  session.stop();
  // The command in flight times out; the release at stop is not attempted after a timeout.
  EXPECT_LT(Clock::now() - start, kQmpTimeout + 150ms);
  EXPECT_EQ(session.status().send_failures, 1U);
  EXPECT_FALSE(connected(session));
}

TEST(InputSession, StopIsBoundedWhenQemuNeverGreets) {
  const std::string path = unique_socket_path();
  FakeQmpServer server(path, [](Peer& peer) { peer.wait_for_close(); });
  InputSession session(fast_options(path));
  session.start();
  std::this_thread::sleep_for(kInterval);  // the handshake is waiting for the greeting
  const TimePoint start = Clock::now();
  session.stop();
  EXPECT_LT(Clock::now() - start, kQmpTimeout + 150ms);
  EXPECT_FALSE(connected(session));
  EXPECT_NE(session.status().last_error.find("no reply"), std::string::npos)
      << session.status().last_error;
}

}  // namespace
}  // namespace periscope::input
