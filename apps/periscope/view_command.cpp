#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common/log.hpp"
#include "viewer/headless_view.hpp"
#include "window/window_view.hpp"

namespace periscope::app {

void add_view_options(CLI::App& command, window::WindowViewOptions& options) {
  command
      .add_option_function<std::string>(
          "--scale",
          [&options](const std::string& name) {
            options.scale = *viewer::parse_scale_mode(name);  // checked below
          },
          "fit (keep aspect), integer, stretch or native (1:1)")
      ->check(CLI::IsMember({"fit", "integer", "stretch", "native"}))
      ->default_str("fit");
  command
      .add_flag("--overlay,!--no-overlay", options.overlay,
                "show the statistics overlay from the start")
      ->capture_default_str();
  command.add_flag("--fullscreen", options.fullscreen, "start fullscreen")->capture_default_str();
  command
      .add_flag("--auto-resize", options.auto_resize,
                "resize the window to the guest's resolution when it changes")
      ->capture_default_str();
  command
      .add_flag("--vsync,!--no-vsync", options.vsync,
                "pace presents to the display (default: show each frame at once, lowest "
                "latency)")
      ->capture_default_str();
  command.add_option("--window-width", options.window_width, "initial window width")
      ->capture_default_str()
      ->check(CLI::Range(1, 16384));
  command.add_option("--window-height", options.window_height, "initial window height")
      ->capture_default_str()
      ->check(CLI::Range(1, 16384));
  command.add_option("--screenshot", options.screenshot_path,
                     "save what the window shows as a PNG after --after-frames frames, then exit");
  command
      .add_option("--after-frames", options.screenshot_after_frames,
                  "frames to show before --screenshot")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  command.add_option("--qmp", options.qmp_path,
                     "the VM's QMP socket: send keyboard and mouse to the VM (without it the "
                     "window is view-only)");
  command.add_option("--title", options.title, "the window's title")->capture_default_str();
  command
      .add_option("--escape-key", options.escape_key,
                  "the key for shortcuts and capture (never sent to the VM)")
      ->capture_default_str();
}

void add_view_command(CLI::App& app, int& exit_code) {
  auto* view = app.add_subcommand("view", "show the guest's screen from an IVSHMEM region");
  view->footer(window::kShortcutHelp);
  auto headless_options = std::make_shared<viewer::HeadlessViewOptions>();
  auto window_options = std::make_shared<window::WindowViewOptions>();
  auto headless = std::make_shared<bool>(false);
  view->add_option("--shm", headless_options->shm_path,
                   "shared memory to read: a /dev/shm file or /dev/kvmfr0")
      ->required();
  view->add_flag("--headless", *headless, "no window: receive and report statistics");
  view->add_option("--seconds", headless_options->seconds, "stop after this many seconds");
  view->add_option("--stats-json", headless_options->stats_json_path,
                   "write statistics here at exit");
  view->add_option("--dump-frame", headless_options->dump_frame_path,
                   "headless: write the last frame (with the cursor) here as a PNG at exit");
  view->add_option("--post-clock", headless_options->post_clock_path,
                   "post-clock file of a producer on this host, for post->memory latency");
  view->add_option("--report-interval", headless_options->report_interval_s,
                   "headless: seconds between live statistics lines (0: none)")
      ->capture_default_str();
  add_view_options(*view, *window_options);
  view->callback([headless_options, window_options, headless, &exit_code] {
    if (*headless) {
      headless_options->stop = &g_stop;
      exit_code = viewer::run_headless_view(*headless_options);
      return;
    }
    window::WindowViewOptions& w = *window_options;
    w.shm_path = headless_options->shm_path;
    w.seconds = headless_options->seconds;
    w.stats_json_path = headless_options->stats_json_path;
    w.post_clock_path = headless_options->post_clock_path;
    w.stop = &g_stop;
    exit_code = window::run_window_view(w);
  });
}

}  // namespace periscope::app
