#pragma once
// The subcommands of `periscope`; each registers its options on the CLI and runs.
#include <atomic>

#include <CLI/CLI.hpp>

#include "window/window_view.hpp"

namespace periscope::app {

// Set by SIGINT/SIGTERM; every long-running command stops when it flips.
extern std::atomic<bool> g_stop;

void add_view_command(CLI::App& app, int& exit_code);
// The window's options (scaling, overlay, QMP input...), shared by `view` and `demo`.
void add_view_options(CLI::App& command, window::WindowViewOptions& options);
void add_demo_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_audio_command(CLI::App& app, int& exit_code);
// `periscope doctor [--root DIR] [--json]`: the read-only passthrough check.
void add_doctor_command(CLI::App& app, int& exit_code);
void add_acpi_command(CLI::App& app, int& exit_code);
void add_rom_command(CLI::App& app, int& exit_code);
void add_shm_size_command(CLI::App& app, int& exit_code);
// `periscope setup plan | apply | rollback`: set the host up, with backups and a way back.
void add_setup_command(CLI::App& app, int& exit_code);

}  // namespace periscope::app
