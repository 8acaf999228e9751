#pragma once
// What every capture agent does around its source: find and map the shared memory (the
// IVSHMEM device of this guest unless told), check it holds the first frame (the B7 sizing
// rule, with the size to use when it does not), start the B7 producer and run the capture
// loop until stopped. periscope-capture (fbdev, test pattern) and periscope-capture-x11 differ
// only in their source.
#include <atomic>
#include <optional>
#include <string>

#include "capture/capture_source.hpp"
#include "relay/layout.hpp"
#include "relay/producer.hpp"

namespace periscope::capture {

struct AgentRunOptions {
  std::string shm_path;                       // empty: found in this guest
  std::optional<std::string> device_address;  // the IVSHMEM PCI device, when several
  std::string source_label;                   // advertised to the host and logged
  std::optional<double> seconds;              // until stopped when empty
  bool allow_truncated{false};
  std::string post_clock_path;  // empty: none
  bool full_damage{false};
  b7::FrameRotation rotation{b7::FrameRotation::k0};
  const std::atomic<bool>* stop{nullptr};
};

// Returns the process exit code: 0 after a clean run, 1 when the shared memory cannot be used.
int run_agent(CaptureSource& source, const FrameDesc& first, const AgentRunOptions& options);

}  // namespace periscope::capture
