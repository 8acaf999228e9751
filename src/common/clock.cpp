#include "common/clock.hpp"

#include <sys/prctl.h>
#include <time.h>

#include <cerrno>

namespace periscope {

void precise_sleep(Nanoseconds duration) {
  if (duration <= Nanoseconds::zero()) return;
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(duration.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(duration.count() % 1'000'000'000);
  while (::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

void use_fine_timer_slack() {
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
}

}  // namespace periscope
