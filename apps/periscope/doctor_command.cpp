// `periscope doctor`: can this machine pass a GPU through, and which one. Reads the machine
// (or a captured tree under --root), writes nothing, runs nothing. The verdict is a report,
// so the exit status is 0 whatever it says; 1 only when the root cannot be read.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common/log.hpp"
#include "setup/doctor.hpp"
#include "setup/doctor_report.hpp"
#include "setup/machine_reader_fs.hpp"

namespace periscope::app {

namespace {

struct DoctorArgs {
  std::string root{"/"};
  bool json{false};
};

int run_doctor_command(const DoctorArgs& args) {
  auto reader = setup::FsMachineReader::open(args.root);
  if (!reader) {
    spdlog::error("{}", reader.error().message);
    return 1;
  }
  const setup::DoctorReport report = setup::run_doctor(*reader);
  const std::string text = args.json ? setup::report_json_text(report) : setup::report_text(report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto* doctor =
      app.add_subcommand("doctor",
                         "check whether this machine can pass a GPU through to a VM, and which one "
                         "(reads only)");
  auto args = std::make_shared<DoctorArgs>();
  doctor
      ->add_option("--root", args->root,
                   "read a captured tree (sysfs, procfs, /etc...) under this directory "
                   "instead of the running machine")
      ->capture_default_str();
  doctor->add_flag("--json", args->json,
                   "print {\"checks\": [...], \"verdict\": {...}} for scripts");
  doctor->callback([args, &exit_code] { exit_code = run_doctor_command(*args); });
}

}  // namespace periscope::app
