#pragma once
// Private sound servers for the sink tests: a PipeWire or PulseAudio daemon with one null sink,
// started in a temp runtime directory of its own, stopped and removed when the owner goes away.
// Nothing here touches the user's session: the daemons listen only inside the temp directory.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/subprocess.hpp"

namespace periscope::testing {

// The full path of a program on PATH, or empty.
inline std::string find_program(const std::string& name) {
  const char* path = ::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return {};
}

// A directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "periscope-audio-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] bool valid() const { return !path_.empty(); }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }
  [[nodiscard]] const std::string& str() const { return path_; }

 private:
  std::string path_;
};

// Sets (or with nullopt unsets) an environment variable for a scope, then restores it.
class EnvOverride {
 public:
  EnvOverride(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = ::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~EnvOverride() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  EnvOverride(const EnvOverride&) = delete;
  EnvOverride& operator=(const EnvOverride&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Polls `done` every 10 ms until it holds or `timeout` passes.
template <typename Done>
bool wait_for(Nanoseconds timeout, Done done) {
  const TimePoint deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Milliseconds(10));
  }
  return true;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Runs a short helper program to completion within `timeout`; true when it exits 0.
inline bool run_quietly(const std::vector<std::string>& argv, const std::string& log,
                        Nanoseconds timeout) {
  auto child = Subprocess::spawn(argv, log, log);
  if (!child) return false;
  const auto status = child->wait_for(timeout);
  return status && *status == 0;
}

// A `pipewire` daemon with a config of our own: no session manager, one null sink whose ports
// are configured at creation (a session manager would do that), the graph at `clock_rate`.
// Clients in this process and the children we start reach it through XDG_RUNTIME_DIR and
// PIPEWIRE_RUNTIME_DIR, which it overrides while it lives.
class PipeWireServer {
 public:
  static constexpr const char* kSinkName = "periscope-test-sink";

  // `sinks`: the null sinks' node names (stereo, their monitors' ports configured too).
  static Result<std::unique_ptr<PipeWireServer>> start(std::uint32_t clock_rate,
                                                       const std::vector<std::string>& sinks = {
                                                           kSinkName}) {
    const std::string daemon = find_program("pipewire");
    if (daemon.empty()) return fail(ErrorCode::kNotFound, "no pipewire binary on PATH");
    std::unique_ptr<PipeWireServer> server(new PipeWireServer());
    if (!server->dir_.valid()) return fail(ErrorCode::kIo, "mkdtemp failed");
    const std::string config = server->dir_.file("pipewire.conf");
    std::string objects;
    for (const auto& sink : sinks) objects += fmt::format(kNullSink, sink);
    write_text(config, fmt::format(kConfig, clock_rate, objects));
    server->env_.push_back(std::make_unique<EnvOverride>("XDG_RUNTIME_DIR", server->dir_.str()));
    server->env_.push_back(
        std::make_unique<EnvOverride>("PIPEWIRE_RUNTIME_DIR", server->dir_.str()));
    server->env_.push_back(std::make_unique<EnvOverride>("PIPEWIRE_REMOTE", std::nullopt));
    auto child = Subprocess::spawn({daemon, "-c", config}, server->log(), server->log());
    if (!child) return tl::unexpected(child.error());
    server->daemon_ = std::move(*child);
    const std::string socket = server->dir_.file("pipewire-0");
    if (!wait_for(Milliseconds(5000),
                  [&] { return std::filesystem::exists(socket) || !server->daemon_.running(); }) ||
        !server->daemon_.running()) {
      return fail(ErrorCode::kTimeout, "pipewire did not start: {}", server->log());
    }
    return server;
  }

  ~PipeWireServer() { daemon_.terminate(Milliseconds(1000)); }
  PipeWireServer(const PipeWireServer&) = delete;
  PipeWireServer& operator=(const PipeWireServer&) = delete;

  [[nodiscard]] const TempDir& dir() const { return dir_; }
  [[nodiscard]] std::string log() const { return dir_.file("pipewire.log"); }
  [[nodiscard]] bool running() { return daemon_.running(); }

  // Links two ports ("node:port") with pw-link, retrying while the ports appear (the graph
  // creates them asynchronously after a client connects).
  [[nodiscard]] bool link(const std::string& output, const std::string& input) const {
    const std::string pw_link = find_program("pw-link");
    return !pw_link.empty() && wait_for(Milliseconds(3000), [&] {
      return run_quietly({pw_link, output, input}, dir_.file("pw-link.log"), Milliseconds(2000));
    });
  }

  // Client properties that make a stream's ports appear without a session manager: one port
  // per channel (as the null sink's), configured when the stream connects.
  static constexpr const char* kDspPorts =
      "{ adapter.auto-port-config = { mode = dsp monitor = false position = preserve } }";

 private:
  PipeWireServer() = default;

  // {0}: the graph's clock rate; {1}: the objects (null sinks). The modules are the least a
  // daemon without a session manager needs for clients to connect (protocol, access), to
  // create stream nodes (client-node, adapter), and links (link-factory).
  static constexpr const char* kConfig = R"(
context.properties = {{
    core.daemon = true
    core.name = pipewire-0
    default.clock.rate = {0}
    default.clock.allowed-rates = [ {0} ]
    support.dbus = false
    mem.mlock-all = false
}}
context.spa-libs = {{
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}}
context.modules = [
    {{ name = libpipewire-module-protocol-native }}
    {{ name = libpipewire-module-metadata }}
    {{ name = libpipewire-module-spa-node-factory }}
    {{ name = libpipewire-module-client-node }}
    {{ name = libpipewire-module-access }}
    {{ name = libpipewire-module-adapter }}
    {{ name = libpipewire-module-link-factory }}
]
context.objects = [
{1}]
)";

  // {0}: the null sink's node name.
  static constexpr const char* kNullSink = R"(
    {{ factory = adapter
        args = {{
            factory.name = support.null-audio-sink
            node.name = {0}
            media.class = Audio/Sink
            audio.position = [ FL FR ]
            monitor.channel-volumes = true
            adapter.auto-port-config = {{ mode = dsp monitor = true position = preserve }}
        }}
    }}
)";

  TempDir dir_;
  std::vector<std::unique_ptr<EnvOverride>> env_;
  Subprocess daemon_;
};

// A `pulseaudio` daemon with only the native protocol (on a socket in the temp directory,
// anonymous) and a float null sink at 48 kHz. Its HOME and runtime directory are the temp
// directory, so it neither reads nor writes the user's.
class PulseServer {
 public:
  static constexpr const char* kSinkName = "periscope_test_sink";

  // `sinks`: the null sinks' names (float stereo at 48 kHz; each has a `NAME.monitor` source).
  static Result<std::unique_ptr<PulseServer>> start(const std::vector<std::string>& sinks = {
                                                        kSinkName}) {
    const std::string daemon = find_program("pulseaudio");
    if (daemon.empty()) return fail(ErrorCode::kNotFound, "no pulseaudio binary on PATH");
    const std::string env = find_program("env");
    std::unique_ptr<PulseServer> server(new PulseServer());
    if (!server->dir_.valid()) return fail(ErrorCode::kIo, "mkdtemp failed");
    const std::string script = server->dir_.file("test.pa");
    std::string commands = fmt::format(
        "load-module module-native-protocol-unix socket={} auth-anonymous=1\n", server->socket());
    for (const auto& sink : sinks) {
      commands += fmt::format(
          "load-module module-null-sink sink_name={} rate=48000 channels=2 format=float32le\n",
          sink);
    }
    write_text(script, commands);
    auto child = Subprocess::spawn(
        {env, "HOME=" + server->dir_.str(), "XDG_RUNTIME_DIR=" + server->dir_.str(), daemon,
         "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr", "-n",
         "-F", script},
        server->log(), server->log());
    if (!child) return tl::unexpected(child.error());
    server->daemon_ = std::move(*child);
    if (!wait_for(Milliseconds(5000),
                  [&] {
                    return std::filesystem::exists(server->socket()) || !server->daemon_.running();
                  }) ||
        !server->daemon_.running()) {
      return fail(ErrorCode::kTimeout, "pulseaudio did not start: {}", server->log());
    }
    return server;
  }

  ~PulseServer() { daemon_.terminate(Milliseconds(1000)); }
  PulseServer(const PulseServer&) = delete;
  PulseServer& operator=(const PulseServer&) = delete;

  [[nodiscard]] const TempDir& dir() const { return dir_; }
  [[nodiscard]] std::string socket() const { return dir_.file("native"); }
  [[nodiscard]] std::string address() const { return "unix:" + socket(); }
  [[nodiscard]] std::string log() const { return dir_.file("pulseaudio.log"); }

 private:
  PulseServer() = default;
  TempDir dir_;
  Subprocess daemon_;
};

}  // namespace periscope::testing
