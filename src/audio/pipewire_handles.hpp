#pragma once
// Owning types for the libpipewire objects the PipeWire sink and capture hold (a connection to
// the daemon, streams), the thread loop's lock as a scope, and functions in place of the
// libpipewire macros our warnings reject. Only
// pipewire_*.cpp include this, so PipeWire's headers stay out of every other translation unit.
// (They come in as system headers through the pkg-config target, so their own code is quiet.)
#include <pipewire/pipewire.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace periscope::audio::pw {

// A unique_ptr deleter that calls a libpipewire destroy function.
template <auto destroy>
struct Deleter {
  template <typename T>
  void operator()(T* handle) const {
    if (handle != nullptr) destroy(handle);
  }
};

using ThreadLoopPtr = std::unique_ptr<pw_thread_loop, Deleter<pw_thread_loop_destroy>>;
using ContextPtr = std::unique_ptr<pw_context, Deleter<pw_context_destroy>>;
using CorePtr = std::unique_ptr<pw_core, Deleter<pw_core_disconnect>>;
using StreamPtr = std::unique_ptr<pw_stream, Deleter<pw_stream_destroy>>;
using PropertiesPtr = std::unique_ptr<pw_properties, Deleter<pw_properties_free>>;

// Holds the thread loop's lock for a scope: every call into the main-loop objects (core,
// stream, context) from outside the loop's thread must hold it.
class ThreadLoopLock {
 public:
  explicit ThreadLoopLock(pw_thread_loop* loop) : loop_(loop) { pw_thread_loop_lock(loop_); }
  ~ThreadLoopLock() { pw_thread_loop_unlock(loop_); }
  ThreadLoopLock(const ThreadLoopLock&) = delete;
  ThreadLoopLock& operator=(const ThreadLoopLock&) = delete;

 private:
  pw_thread_loop* loop_;
};

// A connection to the daemon: a thread loop running its own thread, the context on it and the
// core connected through it. Opening is two steps so that the caller holds the loop's lock
// from connecting the core until everything on it (listeners, a stream) is set up:
//
//   if (auto s = connection.start("thread-name"); !s) return s;
//   pw::ThreadLoopLock lock(connection.loop());
//   if (auto s = connection.connect(hint); !s) return s;
//
// Teardown: whatever the owner made on the core (a stream, listeners) goes after stop() (the
// loop's thread joined, so nothing runs on it any more and no lock is needed) and before the
// connection, which destroys core, context and loop in that order.
class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Creates the loop (its thread named `thread_name`) and the context, and starts the thread.
  Status start(const char* thread_name);
  // Connects the core to the daemon; the caller holds the loop's lock. `no_daemon_hint` ends
  // the error when no daemon answers (what to try instead).
  Status connect(std::string_view no_daemon_hint);
  // Joins the loop's thread (again: nothing).
  void stop();

  [[nodiscard]] pw_thread_loop* loop() const { return loop_.get(); }
  [[nodiscard]] pw_core* core() const { return core_.get(); }

 private:
  ThreadLoopPtr loop_;
  ContextPtr context_;
  CorePtr core_;
  bool running_{false};
};

// pw_core_add_listener and pw_core_sync are macros that cast their argument C-style in our
// code; these wrap them where the cast's warning can be silenced locally.
void add_core_listener(pw_core* core, spa_hook* listener, const pw_core_events* events, void* data);
int core_sync(pw_core* core);

// The SPA channel positions of a Windows SPEAKER_* channel mask (Scream's), in frame order:
// channel i is the i-th set bit; channels past the mask's bits are AUX0, AUX1...
std::array<std::uint32_t, 8> positions_of_mask(std::uint16_t channel_mask);

// Waits on the thread loop (whose lock the caller holds) until `done()` or the timeout.
template <typename Done>
bool wait_until(pw_thread_loop* loop, Nanoseconds timeout, Done done) {
  timespec deadline{};
  pw_thread_loop_get_time(loop, &deadline, timeout.count());
  while (!done()) {
    if (pw_thread_loop_timed_wait_full(loop, &deadline) != 0) return done();
  }
  return true;
}

// pw_init once per process, before the first PipeWire object (never undone: other sinks may
// still be open, and the library keeps its plugin registry for the process's life).
void ensure_initialised();

}  // namespace periscope::audio::pw
