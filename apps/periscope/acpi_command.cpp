// `periscope acpi battery --out FILE`: writes the fake-battery SSDT for QEMU's -acpitable.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common/file_bytes.hpp"
#include "common/log.hpp"
#include "setup/aml_battery.hpp"

namespace periscope::app {

namespace {

int run_battery(const std::string& out_path) {
  const auto table = setup::fake_battery_ssdt();
  // World-readable: QEMU runs as another user under libvirt and must read the file.
  if (auto written = write_file_atomic(out_path, table, 0644); !written) {
    spdlog::error("{}", written.error().message);
    return 1;
  }
  std::printf(
      "wrote %s (%zu bytes): a fake battery (BAT0) and AC adapter (ADP1) SSDT\n"
      "pass it to the VM with: <qemu:arg value='-acpitable'/><qemu:arg value='file=%s'/>\n",
      out_path.c_str(), table.size(), out_path.c_str());
  return 0;
}

}  // namespace

void add_acpi_command(CLI::App& app, int& exit_code) {
  auto* acpi = app.add_subcommand("acpi", "ACPI tables for the guest");
  acpi->require_subcommand(1);
  auto* battery = acpi->add_subcommand(
      "battery",
      "write the fake-battery SSDT (AML) that stops NVIDIA's laptop driver failing with Code 43");
  auto out_path = std::make_shared<std::string>();
  battery->add_option("--out", *out_path, "the .aml file to write")->required();
  battery->callback([out_path, &exit_code] { exit_code = run_battery(*out_path); });
}

}  // namespace periscope::app
