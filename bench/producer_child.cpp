#include "bench/producer_child.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <vector>

#include "bench/prerendered_source.hpp"
#include "common/clock.hpp"
#include "relay/producer.hpp"

namespace periscope::bench {

namespace {

[[noreturn]] void run_child(LocalRelayFiles& files, const ProducerChildOptions& options,
                            ProducerControl& control) {
  // The mappings were made before fork() and are shared with the parent.
  ProducerOptions producer_options;
  producer_options.info.hostver = "periscope-bench";
  producer_options.on_frame_posted = [&](std::uint32_t serial, TimePoint at) {
    files.post_clock().record(serial, at);
  };
  auto producer = Producer::create(SharedRegion(files.region().bytes()), producer_options);
  if (!producer) ::_exit(4);
  PrerenderedSource source({options.width, options.height, 0.0, options.type});
  use_fine_timer_slack();
  capture::CapturedFrame frame;
  const std::vector<b7::DamageRect> everything;
  TimePoint next = Clock::now();
  for (int phase = control.phase.load(); phase != ProducerControl::kExit;
       phase = control.phase.load()) {
    if (phase == ProducerControl::kIdle) {
      precise_sleep(Milliseconds(10));
      continue;
    }
    if (phase == ProducerControl::kPaced) {
      const TimePoint now = Clock::now();
      if (next > now) precise_sleep(next - now);
      const Nanoseconds period = from_seconds(1.0 / control.paced_fps.load());
      next = std::max(next + period, Clock::now() - period);  // no burst after a stall
    }
    source.capture_frame(Nanoseconds(0), frame);
    const FrameDesc desc{frame.type, frame.width, frame.height};
    // A long slot wait: measure the relay, not drops.
    if (!(*producer)->write_frame(desc, frame.pixels.data(), frame.pitch, everything,
                                  std::chrono::seconds(2))) {
      ::_exit(5);
    }
  }
  ::_exit(0);
}

}  // namespace

Result<ProducerChild> ProducerChild::start(LocalRelayFiles& files,
                                           const ProducerChildOptions& options) {
  void* page = ::mmap(nullptr, sizeof(ProducerControl), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return fail_errno(errno, "mmap control page");
  auto* control = new (page) ProducerControl;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::munmap(page, sizeof(ProducerControl));
    return fail_errno(errno, "fork");
  }
  if (pid == 0) run_child(files, options, *control);
  return ProducerChild(control, pid);
}

ProducerChild::ProducerChild(ProducerChild&& other) noexcept
    : control_(other.control_), pid_(other.pid_) {
  other.control_ = nullptr;
  other.pid_ = -1;
}

ProducerChild::~ProducerChild() {
  if (pid_ > 0) {
    control_->phase = ProducerControl::kExit;
    int status = 0;
    // It finishes the frame in hand and exits; a stuck one is killed.
    for (int i = 0; i < 50 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      precise_sleep(Milliseconds(10));
    }
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  if (control_ != nullptr) ::munmap(control_, sizeof(ProducerControl));
}

}  // namespace periscope::bench
