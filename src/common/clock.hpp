#pragma once
// Clocks. Everything inside one process uses the monotonic clock; only durations cross the VM
// boundary (the LGMP heartbeat is compared with itself, never with our clock).
#include <chrono>
#include <cstdint>

namespace periscope {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Nanoseconds = std::chrono::nanoseconds;
using Milliseconds = std::chrono::milliseconds;
using Microseconds = std::chrono::microseconds;

// Milliseconds of the monotonic clock, the unit the LGMP heartbeat and deadlines use.
inline std::uint64_t monotonic_ms(TimePoint t = Clock::now()) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Milliseconds>(t.time_since_epoch()).count());
}

inline std::uint64_t monotonic_ns(TimePoint t = Clock::now()) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<Nanoseconds>(t.time_since_epoch()).count());
}

inline double to_ms(Nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Seconds as given on a command line ("--seconds 2.5") as a duration.
inline Nanoseconds from_seconds(double seconds) {
  return std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(seconds));
}

// Sleeps with fine timer slack so short polls (hundreds of microseconds) wake on time.
void precise_sleep(Nanoseconds duration);
// Lowers this thread's timer slack (default 50 us) to 1 us.
void use_fine_timer_slack();

}  // namespace periscope
