// `periscope demo`: the relay end to end on any Linux machine. Starts the capture agent (test
// pattern) on a private shared-memory file and the viewer window on it (or, with --headless,
// prints live statistics), and removes everything it made on exit or Ctrl-C.
#include <unistd.h>

#include <memory>

#include "commands.hpp"
#include "common/dimensions.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "common/subprocess.hpp"
#include "relay/frame_format.hpp"
#include "relay/local_relay_files.hpp"
#include "viewer/headless_view.hpp"

namespace periscope::app {

namespace {

struct DemoOptions {
  viewer::HeadlessViewOptions view;
  window::WindowViewOptions window;
  bool headless{false};
  std::string size{"1920x1080"};
  double fps{60};
  std::string format{"bgra"};
};

int run_demo(DemoOptions& options) {
  auto size = parse_dimensions(options.size);
  if (!size) {
    spdlog::error("{}", size.error().message);
    return 2;
  }
  const std::string capture = executable_dir() + "/periscope-capture";
  if (::access(capture.c_str(), X_OK) != 0) {
    spdlog::error("{} is missing: build the whole project", capture);
    return 1;
  }
  const std::uint64_t bytes =
      b7::recommended_region_bytes(size->width, size->height, options.format == "rgba16f" ? 8 : 4);
  auto files = LocalRelayFiles::create("demo", bytes);
  if (!files) {
    spdlog::error("{}", files.error().message);
    return 1;
  }
  const std::string& shm = files->region_path();
  const std::string& clock_path = files->post_clock_path();
  spdlog::info("demo: test pattern {} {} at {} fps through {} ({} MiB)", options.size,
               options.format, options.fps, shm, bytes / (1024 * 1024));
  auto agent = Subprocess::spawn({capture, "--shm", shm, "--size", options.size, "--fps",
                                  fmt::format("{}", options.fps), "--format", options.format,
                                  "--post-clock", clock_path});
  if (!agent) {
    spdlog::error("{}", agent.error().message);
    return 1;
  }
  int view_status = 0;
  if (options.headless) {
    options.view.shm_path = shm;
    options.view.post_clock_path = clock_path;
    options.view.stop = &g_stop;
    view_status = viewer::run_headless_view(options.view);
  } else {
    window::WindowViewOptions& w = options.window;
    w.shm_path = shm;
    w.post_clock_path = clock_path;
    w.seconds = options.view.seconds;
    w.stats_json_path = options.view.stats_json_path;
    if (w.title == window::WindowViewOptions{}.title) {
      w.title = fmt::format("Periscope demo: test pattern {} {}", options.size, options.format);
    }
    w.stop = &g_stop;
    if (!options.view.dump_frame_path.empty()) {
      spdlog::warn("--dump-frame is for --headless; use --screenshot with a window");
    }
    view_status = window::run_window_view(w);
  }
  const int agent_status = agent->terminate();
  if (agent_status != 0) {
    spdlog::error("the capture agent exited with status {}", agent_status);
    return view_status != 0 ? view_status : 1;
  }
  return view_status;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto* demo = app.add_subcommand(
      "demo", "run the relay end to end: a test-pattern guest and the viewer on this machine");
  auto options = std::make_shared<DemoOptions>();
  demo->add_flag("--headless", options->headless, "no window: print live statistics");
  demo->footer(window::kShortcutHelp);
  demo->add_option("--seconds", options->view.seconds, "stop after this many seconds");
  demo->add_option("--stats-json", options->view.stats_json_path, "write statistics at exit");
  demo->add_option("--dump-frame", options->view.dump_frame_path,
                   "write the last frame as a PNG at exit");
  demo->add_option("--size", options->size, "guest screen size")->capture_default_str();
  demo->add_option("--fps", options->fps, "guest frame rate")->capture_default_str();
  demo->add_option("--format", options->format, "bgra rgba rgba10 rgba16f bgr32 rgb24")
      ->capture_default_str();
  add_view_options(*demo, options->window);
  demo->callback([options, &exit_code] { exit_code = run_demo(*options); });
}

}  // namespace periscope::app
