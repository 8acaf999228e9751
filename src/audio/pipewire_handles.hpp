#pragma once
// Owning types for the libpipewire objects the PipeWire sink holds, the thread loop's lock as a
// scope, and functions in place of the libpipewire macros our warnings reject. Only
// pipewire_*.cpp include this, so PipeWire's headers stay out of every other translation unit.
// (They come in as system headers through the pkg-config target, so their own code is quiet.)
#include <pipewire/pipewire.h>

#include <array>
#include <cstdint>
#include <memory>

#include "common/clock.hpp"

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
