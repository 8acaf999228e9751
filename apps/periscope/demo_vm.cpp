// The demo VM: boots the tiny Linux guest made by scripts/make-demo-vm under QEMU, with an
// ivshmem-plain device on a private /dev/shm file and a QMP socket, waits for its capture agent's
// first frame, then runs the viewer on it with the keyboard going into the VM. QEMU is shut
// down and every file removed on exit or Ctrl-C.
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "common/log.hpp"
#include "common/scope_exit.hpp"
#include "common/subprocess.hpp"
#include "demo_options.hpp"
#include "relay/frame_format.hpp"
#include "relay/layout.hpp"
#include "relay/local_relay_files.hpp"
#include "vm/kvm_probe.hpp"
#include "vm/qemu_vm.hpp"

namespace periscope::app {

namespace {

// Room for the console at 1024x768 and for a switch to 1280x1024 (vga=0x345) without truncation.
constexpr std::uint32_t kLargestDemoWidth = 1280;
constexpr std::uint32_t kLargestDemoHeight = 1024;

// Prints what the guest writes on its serial console while it boots, line by line.
class SerialEcho {
 public:
  explicit SerialEcho(std::string path) : path_(std::move(path)) {}
  void pump() {
    std::ifstream in(path_);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a partial line: read it whole next time
      offset_ += line.size() + 1;
      if (!line.empty()) spdlog::info("guest: {}", line);
    }
  }

 private:
  std::string path_;
  std::size_t offset_{0};
};

// Under KVM the guest's init speaks within a second or two; nested KVM never gets there.
constexpr Nanoseconds kKvmBootBound = std::chrono::seconds(20);

bool serial_shows(const std::string& path, const std::string& text, Nanoseconds timeout) {
  const TimePoint deadline = Clock::now() + timeout;
  for (;;) {  // looks once even with no time to wait
    std::ifstream in(path);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (log.find(text) != std::string::npos) return true;
    if (Clock::now() >= deadline || g_stop.load()) return false;
    std::this_thread::sleep_for(Milliseconds(100));
  }
}

bool agent_has_started(const MappedRegion& region) {
  std::uint32_t magic = 0;
  std::memcpy(&magic, region.data(), sizeof magic);
  return magic == b7::kLgmpMagic;
}

}  // namespace

int run_vm_demo(DemoOptions& options) {
  const std::string vm_dir =
      options.vm_dir.empty() ? executable_dir() + "/../demo-vm" : options.vm_dir;
  const std::string kernel = vm_dir + "/vmlinuz";
  const std::string initrd = vm_dir + "/initrd.img";
  const std::string qemu = vm::find_program("qemu-system-x86_64");
  if (qemu.empty()) {
    spdlog::warn(
        "QEMU is not installed, so the demo shows a test-pattern guest instead of a VM. For the "
        "VM: sudo apt install qemu-system-x86");
    return -1;
  }
  if (::access(kernel.c_str(), R_OK) != 0 || ::access(initrd.c_str(), R_OK) != 0) {
    spdlog::warn(
        "the demo VM is not in {} (the build makes it when a kernel is in /boot and "
        "busybox-static is installed: sudo apt install linux-image-amd64 busybox-static, then "
        "rebuild), so the demo shows a test-pattern guest instead",
        vm_dir);
    return -1;
  }

  // KVM first when it may work; TCG always works. A probe guest that halts proves little
  // under nested virtualisation (real guests hang at their first mode switch there), so a KVM
  // boot must also show the guest's first serial line in time, or the demo falls back.
  std::vector<vm::Accelerator> accelerators;
  if (options.accel == "kvm") {
    accelerators = {vm::Accelerator::kKvm};
  } else if (options.accel == "tcg") {
    accelerators = {vm::Accelerator::kTcg};
  } else {
    const vm::KvmProbe probe = vm::probe_kvm();
    spdlog::info("KVM {}: {}", probe.usable ? "may work" : "is not usable", probe.reason);
    if (probe.usable) accelerators.push_back(vm::Accelerator::kKvm);
    accelerators.push_back(vm::Accelerator::kTcg);
  }

  char dir_template[] = "/tmp/periscope-demo-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    spdlog::error("cannot make a private directory: {}", std::strerror(errno));
    return 1;
  }
  const std::string dir = dir_template;
  const ScopeExit remove_dir([&] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  });

  const std::uint64_t region_bytes =
      b7::recommended_region_bytes(kLargestDemoWidth, kLargestDemoHeight, 4);
  auto files = LocalRelayFiles::create("demo-vm", region_bytes);
  if (!files) {
    spdlog::error("{}", files.error().message);
    return 1;
  }

  vm::QemuVmConfig config;
  config.qemu = qemu;
  config.kernel = kernel;
  config.initrd = initrd;
  config.kernel_cmdline = "console=tty0 console=ttyS0 vga=0x344 quiet";
  config.shm_path = files->region_path();
  config.shm_bytes = region_bytes;
  config.qmp_socket = dir + "/qmp.sock";
  config.serial_log = options.serial_log.empty() ? dir + "/serial.log" : options.serial_log;

  std::optional<vm::QemuVm> vm;
  const char* accel_name = "";
  for (const vm::Accelerator accel : accelerators) {
    config.accelerator = accel;
    accel_name = accel == vm::Accelerator::kKvm ? "KVM" : "TCG (software emulation)";
    std::filesystem::remove(config.serial_log);
    spdlog::info("demo: booting the demo VM under {} with {} MiB of IVSHMEM at {}", accel_name,
                 region_bytes >> 20, files->region_path());
    auto started = vm::QemuVm::start(config);
    if (!started) {
      spdlog::error("{}", started.error().message);
      return 1;
    }
    vm.emplace(std::move(*started));
    if (auto ready = vm->wait_for_qmp(std::chrono::seconds(15)); !ready) {
      spdlog::error("{}", ready.error().message);
      return 1;
    }
    if (accel == vm::Accelerator::kTcg || accelerators.size() == 1) break;
    if (serial_shows(config.serial_log, "periscope-demo: booted", kKvmBootBound)) break;
    spdlog::warn("KVM did not boot the guest within {} s (nested virtualisation?): using TCG",
                 std::chrono::duration_cast<std::chrono::seconds>(kKvmBootBound).count());
    vm->shut_down();
    vm.reset();
  }

  // The viewer would show "waiting" meanwhile; a boot under TCG takes tens of seconds, so say
  // what the guest is doing instead, and start --seconds when there is something to see.
  SerialEcho echo(config.serial_log);
  const TimePoint boot_deadline = Clock::now() + from_seconds(options.boot_timeout_s);
  while (!agent_has_started(files->region())) {
    echo.pump();
    if (g_stop.load()) {
      vm->shut_down();
      return 130;
    }
    if (!vm->running()) {
      spdlog::error("QEMU exited during boot (see {}.qemu)", config.serial_log);
      return 1;
    }
    if (serial_shows(config.serial_log, "Kernel panic", Nanoseconds(0))) {
      echo.pump();
      spdlog::error("the demo VM's kernel panicked (its console is above)");
      vm->shut_down();
      return 1;
    }
    if (Clock::now() >= boot_deadline) {
      spdlog::error("the demo VM showed no frame within {:.0f} s", options.boot_timeout_s);
      vm->shut_down();
      return 1;
    }
    std::this_thread::sleep_for(Milliseconds(100));
  }
  echo.pump();
  spdlog::info("demo: the guest's capture agent is running; keyboard input goes to the VM");

  const int view_status = run_demo_viewer(options, files->region_path(), "", config.qmp_socket,
                                          fmt::format("Periscope demo VM ({})", accel_name));
  const int qemu_status = vm->shut_down();
  if (qemu_status != 0) spdlog::warn("QEMU exited with status {}", qemu_status);
  return view_status;
}

}  // namespace periscope::app
