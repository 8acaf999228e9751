#pragma once
// A QEMU guest we own: the command line for a direct-kernel boot with an ivshmem-plain device
// on a shared-memory file and a QMP socket, the running process, and a clean shutdown (QMP
// `quit`, then SIGTERM, then SIGKILL) that leaves no QEMU behind.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/subprocess.hpp"

namespace periscope::vm {

enum class Accelerator { kKvm, kTcg };

struct QemuVmConfig {
  std::string qemu{"qemu-system-x86_64"};
  std::string kernel;
  std::string initrd;
  std::string kernel_cmdline;
  std::uint32_t memory_mib{256};
  std::uint32_t cpus{1};
  Accelerator accelerator{Accelerator::kTcg};
  std::string shm_path;  // backs the ivshmem-plain device; empty: the VM has none
  std::uint64_t shm_bytes{0};
  std::string qmp_socket;
  std::string serial_log;  // the guest's serial console is appended here
};

// The argv, without starting anything (also what `periscope demo --dry-run` prints).
std::vector<std::string> qemu_command_line(const QemuVmConfig& config);

// Finds `name` on PATH; empty when it is not there.
std::string find_program(const std::string& name);

class QemuVm {
 public:
  static Result<QemuVm> start(QemuVmConfig config);

  QemuVm(QemuVm&&) noexcept = default;
  QemuVm& operator=(QemuVm&&) noexcept = default;
  QemuVm(const QemuVm&) = delete;
  QemuVm& operator=(const QemuVm&) = delete;
  ~QemuVm();

  [[nodiscard]] bool running() { return process_.running(); }
  [[nodiscard]] const QemuVmConfig& config() const { return config_; }
  // Waits until QEMU accepts QMP connections (it creates the socket once it is listening).
  Status wait_for_qmp(Nanoseconds timeout);
  // Resets the guest as the reset button would (QMP system_reset).
  Status reset();
  // QMP `quit`; SIGTERM and SIGKILL when QEMU does not go within `grace`. Returns QEMU's exit
  // status. Idempotent.
  int shut_down(Nanoseconds grace = Milliseconds(3000));

 private:
  QemuVm(QemuVmConfig config, Subprocess process)
      : config_(std::move(config)), process_(std::move(process)) {}
  Status qmp_command(const std::string& name);

  QemuVmConfig config_;
  Subprocess process_;
  std::optional<int> exit_status_;
};

}  // namespace periscope::vm
