// periscope: the host side. Subcommands: view, demo, bench, audio, audio-send, doctor, acpi,
// rom, shm-size.
#include <csignal>
#include <cstdlib>
#include <string>

#include "commands.hpp"
#include "common/log.hpp"

namespace periscope::app {
std::atomic<bool> g_stop{false};
}

namespace {

void on_signal(int /*signal*/) {
  periscope::app::g_stop.store(true);
}

// $XDG_CONFIG_HOME/periscope/config.toml, or ~/.config/periscope/config.toml.
std::string default_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/periscope/config.toml";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/periscope/config.toml";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"periscope: see and use a GPU-passthrough VM from the Linux desktop"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace debug info warn error off")
      ->capture_default_str();
  // One option table: every long option of a subcommand is also a key of its section in the
  // config file ([view] seconds = 10); the command line wins over the file. Unknown keys are
  // an error, so a typo in the file is not silently ignored.
  app.set_config("--config", default_config_path(),
                 "TOML config file; keys are the long option names, in [view], [demo] sections");
  app.allow_config_extras(false);
  int exit_code = 0;
  periscope::app::add_view_command(app, exit_code);
  periscope::app::add_demo_command(app, exit_code);
  periscope::app::add_bench_command(app, exit_code);
  periscope::app::add_audio_command(app, exit_code);
  periscope::app::add_doctor_command(app, exit_code);
  periscope::app::add_acpi_command(app, exit_code);
  periscope::app::add_rom_command(app, exit_code);
  periscope::app::add_shm_size_command(app, exit_code);
  periscope::app::add_setup_command(app, exit_code);
  app.parse_complete_callback([&] { periscope::init_logging("periscope", log_level); });
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; any usage error is 2, as scripts expect of a command line.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
