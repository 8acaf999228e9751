// periscope: the host side. Subcommands: view, demo, bench.
#include <csignal>

#include "commands.hpp"
#include "common/log.hpp"

namespace periscope::app {
std::atomic<bool> g_stop{false};
}

namespace {
void on_signal(int /*signal*/) {
  periscope::app::g_stop.store(true);
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"periscope: see and use a GPU-passthrough VM from the Linux desktop"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace debug info warn error off")
      ->capture_default_str();
  int exit_code = 0;
  periscope::app::add_view_command(app, exit_code);
  periscope::app::add_demo_command(app, exit_code);
  periscope::app::add_bench_command(app, exit_code);
  app.parse_complete_callback([&] { periscope::init_logging("periscope", log_level); });
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
