// `periscope demo`: the relay end to end on any Linux machine. With QEMU, a tiny real VM
// (demo_vm.cpp); without, the capture agent's test pattern on a private shared-memory file.
// Either way the viewer window shows it (or, with --headless, live statistics), and
// everything the demo made is removed on exit or Ctrl-C.
#include <unistd.h>

#include <memory>

#include "commands.hpp"
#include "common/dimensions.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "common/subprocess.hpp"
#include "demo_options.hpp"
#include "relay/frame_format.hpp"
#include "relay/local_relay_files.hpp"
#include "viewer/headless_view.hpp"

namespace periscope::app {

namespace {

int run_pattern_demo(DemoOptions& options) {
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
  const int view_status = run_demo_viewer(
      options, shm, clock_path, "",
      fmt::format("Periscope demo: test pattern {} {}", options.size, options.format));
  const int agent_status = agent->terminate();
  if (agent_status != 0) {
    spdlog::error("the capture agent exited with status {}", agent_status);
    return view_status != 0 ? view_status : 1;
  }
  return view_status;
}

int run_demo(DemoOptions& options) {
  if (options.guest != "pattern") {
    const int vm_status = run_vm_demo(options);
    if (vm_status >= 0) return vm_status;
    if (options.guest == "vm") return 1;
  }
  return run_pattern_demo(options);
}

}  // namespace

int run_demo_viewer(DemoOptions& options, const std::string& shm, const std::string& post_clock,
                    const std::string& qmp, const std::string& title) {
  if (options.headless) {
    options.view.shm_path = shm;
    options.view.post_clock_path = post_clock;
    options.view.stop = &g_stop;
    return viewer::run_headless_view(options.view);
  }
  window::WindowViewOptions& w = options.window;
  w.shm_path = shm;
  w.post_clock_path = post_clock;
  if (w.qmp_path.empty()) w.qmp_path = qmp;
  w.seconds = options.view.seconds;
  w.stats_json_path = options.view.stats_json_path;
  if (w.title == window::WindowViewOptions{}.title) w.title = title;
  w.stop = &g_stop;
  if (!options.view.dump_frame_path.empty()) {
    spdlog::warn("--dump-frame is for --headless; use --screenshot with a window");
  }
  return window::run_window_view(w);
}

void add_demo_command(CLI::App& app, int& exit_code) {
  auto* demo = app.add_subcommand(
      "demo",
      "see it work: boot a tiny Linux VM (QEMU, IVSHMEM, QMP) and show its screen, with your "
      "keyboard going into it; without QEMU, a test-pattern guest process instead");
  auto options = std::make_shared<DemoOptions>();
  demo->add_flag("--headless", options->headless, "no window: print live statistics");
  demo->footer(window::kShortcutHelp);
  demo->add_option("--seconds", options->view.seconds, "stop after this many seconds");
  demo->add_option("--stats-json", options->view.stats_json_path, "write statistics at exit");
  demo->add_option("--dump-frame", options->view.dump_frame_path,
                   "write the last frame as a PNG at exit");
  demo->add_option("--guest", options->guest,
                   "auto (the VM when QEMU and the demo VM are here), vm, or pattern")
      ->check(CLI::IsMember({"auto", "vm", "pattern"}))
      ->capture_default_str();
  demo->add_option("--vm-dir", options->vm_dir,
                   "the demo VM's vmlinuz and initrd.img (default: demo-vm beside bin/, made by "
                   "the build from scripts/make-demo-vm)");
  demo->add_option("--accel", options->accel,
                   "auto (KVM when a probe guest runs, else TCG), kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}))
      ->capture_default_str();
  demo->add_option("--boot-timeout", options->boot_timeout_s,
                   "seconds the VM may take to show its first frame")
      ->capture_default_str();
  demo->add_option("--serial-log", options->serial_log,
                   "keep the VM's serial console in this file");
  demo->add_option("--size", options->size, "test pattern: screen size")->capture_default_str();
  demo->add_option("--fps", options->fps, "test pattern: frame rate")->capture_default_str();
  demo->add_option("--format", options->format,
                   "test pattern: bgra rgba rgba10 rgba16f bgr32 rgb24")
      ->capture_default_str();
  add_view_options(*demo, options->window);
  demo->callback([options, &exit_code] { exit_code = run_demo(*options); });
}

}  // namespace periscope::app
