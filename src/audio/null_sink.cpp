#include "audio/null_sink.hpp"

#include <vector>

namespace periscope::audio {

Status NullSink::start(RenderCallback render) {
  stop();
  thread_ = std::jthread([this, render = std::move(render)](const std::stop_token& stop) {
    use_fine_timer_slack();
    std::vector<float> block(std::size_t{block_frames_} * format_.channels);
    const Nanoseconds period(std::uint64_t{block_frames_} * 1'000'000'000ULL / format_.rate_hz);
    TimePoint next = Clock::now();
    while (!stop.stop_requested()) {
      render(block, Clock::now().time_since_epoch());
      frames_.fetch_add(block_frames_);
      next += period;
      const TimePoint now = Clock::now();
      if (next > now) {
        precise_sleep(next - now);
      } else if (now - next > Milliseconds(100)) {
        next = now;  // we were descheduled for long: do not catch up in a burst
      }
    }
  });
  return {};
}

void NullSink::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace periscope::audio
