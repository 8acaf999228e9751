#include "vm/qemu_vm.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "input/qmp_client.hpp"

namespace periscope::vm {

std::vector<std::string> qemu_command_line(const QemuVmConfig& c) {
  std::vector<std::string> argv{
      c.qemu, "-nodefaults", "-no-user-config", "-machine", "q35", "-accel",
      c.accelerator == Accelerator::kKvm ? "kvm" : "tcg", "-cpu",
      c.accelerator == Accelerator::kKvm ? "host" : "max", "-smp", std::to_string(c.cpus), "-m",
      fmt::format("{}M", c.memory_mib), "-kernel", c.kernel, "-initrd", c.initrd, "-append",
      c.kernel_cmdline,
      // The standard VGA: with vga=0x344 Debian's built-in vesafb gives /dev/fb0, no modules.
      "-vga", "std", "-display", "none", "-serial",
      c.serial_log.empty() ? std::string("null") : "file:" + c.serial_log, "-qmp",
      fmt::format("unix:{},server=on,wait=off", c.qmp_socket),
      // Input: q35's own PS/2 keyboard and mouse, which Debian's kernel drives without
      // modules (its USB host and HID drivers are modules the demo VM does not carry). QMP
      // input-send-event lands there.
  };
  if (!c.shm_path.empty()) {
    // The Looking Glass device: a shared file QEMU maps as the guest's PCI BAR2.
    for (std::string arg :
         {std::string("-object"),
          fmt::format("memory-backend-file,id=periscope-shm,share=on,mem-path={},size={}",
                      c.shm_path, c.shm_bytes),
          std::string("-device"), std::string("ivshmem-plain,memdev=periscope-shm")}) {
      argv.push_back(std::move(arg));
    }
  }
  return argv;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

Result<QemuVm> QemuVm::start(QemuVmConfig config) {
  const std::string program = find_program(config.qemu);
  if (program.empty()) {
    return fail(ErrorCode::kNotFound, "{} is not installed (Debian: qemu-system-x86)", config.qemu);
  }
  config.qemu = program;  // Subprocess runs a path; it does not search PATH
  // QEMU's own messages go to a log beside the serial one, so a failed start can be explained.
  const std::string log = config.serial_log.empty() ? std::string() : config.serial_log + ".qemu";
  auto process = Subprocess::spawn(qemu_command_line(config), log, log);
  if (!process) return tl::unexpected(process.error());
  return QemuVm(std::move(config), std::move(*process));
}

QemuVm::~QemuVm() {
  if (process_.pid() > 0) shut_down();
}

Status QemuVm::wait_for_qmp(Nanoseconds timeout) {
  const TimePoint deadline = Clock::now() + timeout;
  for (;;) {
    if (!process_.running()) {
      return fail(ErrorCode::kIo, "QEMU exited while starting{}",
                  config_.serial_log.empty() ? "" : " (see " + config_.serial_log + ".qemu)");
    }
    if (auto client = input::QmpClient::connect(config_.qmp_socket)) return {};
    if (Clock::now() >= deadline) {
      return fail(ErrorCode::kTimeout, "QEMU's QMP socket {} did not answer", config_.qmp_socket);
    }
    std::this_thread::sleep_for(Milliseconds(50));
  }
}

Status QemuVm::qmp_command(const std::string& name) {
  auto client = input::QmpClient::connect(config_.qmp_socket);
  if (!client) return tl::unexpected(client.error());
  auto reply = client->send({{"execute", name}});
  if (!reply) return tl::unexpected(reply.error());
  return {};
}

Status QemuVm::reset() {
  return qmp_command("system_reset");
}

int QemuVm::shut_down(Nanoseconds grace) {
  if (exit_status_) return *exit_status_;
  if (process_.pid() <= 0) return 0;
  if (process_.running()) {
    // `quit` may lose its reply when QEMU exits first; the exit is what counts.
    (void)qmp_command("quit");
  }
  if (auto status = process_.wait_for(grace)) {
    exit_status_ = *status;
  } else {
    exit_status_ = process_.terminate(grace);
  }
  return *exit_status_;
}

}  // namespace periscope::vm
