#pragma once
// `periscope view --headless`: receive frames and the cursor with no window, report
// statistics, optionally write them as JSON and the last frame as a PNG.
#include <atomic>
#include <optional>
#include <string>

namespace periscope::viewer {

struct HeadlessViewOptions {
  std::string shm_path;
  std::optional<double> seconds;  // until stopped when empty
  std::string stats_json_path;    // empty: none
  std::string dump_frame_path;    // empty: none
  std::string post_clock_path;    // empty: latency from "seen" only
  double report_interval_s{1.0};  // live line on stdout; 0: none
  const std::atomic<bool>* stop{nullptr};
};

// Returns the process exit code: 0 on a clean run, 1 when the region cannot be used or an
// output cannot be written.
int run_headless_view(const HeadlessViewOptions& options);

}  // namespace periscope::viewer
