// periscope-capture-x11: the guest-side capture agent for a Linux desktop under X11. Reads
// the X screen (XDamage + MIT-SHM, XFixes cursor) and writes it into an IVSHMEM region in the
// Looking Glass B7 format. A separate program from periscope-capture so that one stays free
// of X libraries (DRM/fbdev guests, static builds).
#include <atomic>
#include <csignal>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "capture/agent_run.hpp"
#include "capture_x11/x11_source.hpp"
#include "common/log.hpp"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int /*signal*/) {
  g_stop.store(true);
}

struct Arguments {
  std::string shm;
  periscope::capture::X11SourceOptions source;
  std::optional<double> seconds;
  bool allow_truncated{false};
};

int run(const Arguments& args) {
  using namespace periscope;
  // The source first: the screen's size decides how much shared memory is needed.
  auto source = capture::X11Source::open(args.source);
  if (!source) {
    spdlog::error("{}", source.error().message);
    return source.error().code == ErrorCode::kUnsupported ? 2 : 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  capture::AgentRunOptions run;
  run.shm_path = args.shm;
  run.source_label = "x11";
  run.seconds = args.seconds;
  run.allow_truncated = args.allow_truncated;
  run.stop = &g_stop;
  const FrameDesc first{b7::FrameType::kBgra, (*source)->width(), (*source)->height()};
  return capture::run_agent(**source, first, run);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "periscope-capture-x11: send an X11 desktop to the host over IVSHMEM in the Looking "
      "Glass B7 format"};
  Arguments args;
  bool no_shm = false;
  std::string log_level = "info";
  app.add_option("--shm", args.shm,
                 "shared memory to write: a /dev/shm file, /dev/kvmfr0, or an IVSHMEM BAR "
                 "(/sys/bus/pci/devices/<address>/resource2); default: found in this guest");
  app.add_option("--display", args.source.display, "X display to capture (default: $DISPLAY)");
  app.add_flag("--no-shm", no_shm,
               "read the screen with XGetImage even when MIT-SHM works (what a remote display "
               "gets anyway)");
  app.add_option("--max-fps", args.source.max_fps,
                 "at most this many frames a second however fast the screen changes (0 = no "
                 "limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seconds", args.seconds, "stop after this many seconds (default: until Ctrl-C)");
  app.add_flag("--allow-truncated", args.allow_truncated,
               "send the top of frames too big for the region, flagged as truncated");
  app.add_option("--log-level", log_level, "trace debug info warn error off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  args.source.use_shm = !no_shm;
  periscope::init_logging("periscope-capture-x11", log_level);
  return run(args);
}
