#include <memory>

#include "commands.hpp"
#include "common/log.hpp"
#include "viewer/headless_view.hpp"

namespace periscope::app {

void add_view_command(CLI::App& app, int& exit_code) {
  auto* view = app.add_subcommand("view", "show the guest's screen from an IVSHMEM region");
  auto options = std::make_shared<viewer::HeadlessViewOptions>();
  auto headless = std::make_shared<bool>(false);
  view->add_option("--shm", options->shm_path,
                   "shared memory to read: a /dev/shm file or /dev/kvmfr0")
      ->required();
  view->add_flag("--headless", *headless, "receive without a window (reports statistics)");
  view->add_option("--seconds", options->seconds, "stop after this many seconds");
  view->add_option("--stats-json", options->stats_json_path, "write statistics here at exit");
  view->add_option("--dump-frame", options->dump_frame_path,
                   "write the last frame (with the cursor) here as a PNG at exit");
  view->add_option("--post-clock", options->post_clock_path,
                   "post-clock file of a producer on this host, for post->memory latency");
  view->add_option("--report-interval", options->report_interval_s,
                   "seconds between live statistics lines (0: none)")
      ->capture_default_str();
  view->callback([options, headless, &exit_code] {
    if (!*headless) {
      spdlog::error("the windowed viewer is not part of this build yet; use --headless");
      exit_code = 2;
      return;
    }
    options->stop = &g_stop;
    exit_code = viewer::run_headless_view(*options);
  });
}

}  // namespace periscope::app
