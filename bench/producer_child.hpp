#pragma once
// The benchmarks' guest: a producer in a forked child process over a real shared-memory file,
// steered by the parent through a shared anonymous page (no threads before the fork).
#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "common/result.hpp"
#include "relay/layout.hpp"
#include "relay/local_relay_files.hpp"

namespace periscope::bench {

// What the parent tells the producer child.
struct ProducerControl {
  enum Phase : int { kUnpaced = 0, kPaced = 1, kIdle = 2, kExit = 3 };
  std::atomic<int> phase{kUnpaced};
  std::atomic<double> paced_fps{240};
};

struct ProducerChildOptions {
  std::uint32_t width{2560};
  std::uint32_t height{1440};
  b7::FrameType type{b7::FrameType::kBgra};
};

// A producer child sending prerendered, wholly damaged frames: as fast as the relay takes them
// (kUnpaced), at paced_fps (kPaced) or none with the heartbeat going (kIdle). Stopped and
// reaped by the destructor.
class ProducerChild {
 public:
  // Forks; call before the parent starts any thread.
  static Result<ProducerChild> start(LocalRelayFiles& files, const ProducerChildOptions& options);
  ProducerChild(ProducerChild&& other) noexcept;
  ProducerChild& operator=(ProducerChild&&) = delete;
  ProducerChild(const ProducerChild&) = delete;
  ~ProducerChild();

  [[nodiscard]] ProducerControl& control() const { return *control_; }

 private:
  ProducerChild(ProducerControl* control, pid_t pid) : control_(control), pid_(pid) {}
  ProducerControl* control_;
  pid_t pid_;
};

}  // namespace periscope::bench
