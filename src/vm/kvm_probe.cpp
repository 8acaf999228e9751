#include "vm/kvm_probe.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace periscope::vm {

namespace {

// Child exit codes, so the parent can say which step failed.
enum ProbeExit : int {
  kHalted = 0,
  kNoDevice = 10,
  kApiVersion,
  kCreateVm,
  kMemory,
  kCreateVcpu,
  kRunMapping,
  kRegisters,
  kRun,
  kWrongExit,
};

// Runs in the child: a one-page real-mode guest whose first instruction is `hlt`.
[[noreturn]] void run_probe_guest(const char* device) {
  const int kvm = ::open(device, O_RDWR | O_CLOEXEC);
  if (kvm < 0) ::_exit(kNoDevice);
  if (::ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) ::_exit(kApiVersion);
  const int vm = ::ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) ::_exit(kCreateVm);
  constexpr std::size_t kPage = 4096;
  void* memory = ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) ::_exit(kMemory);
  static_cast<unsigned char*>(memory)[0] = 0xf4;  // hlt
  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.guest_phys_addr = 0x1000;
  region.memory_size = kPage;
  region.userspace_addr = reinterpret_cast<std::uint64_t>(memory);
  if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) != 0) ::_exit(kMemory);
  const int vcpu = ::ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) ::_exit(kCreateVcpu);
  const int run_bytes = ::ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_bytes <= 0) ::_exit(kRunMapping);
  auto* run = static_cast<kvm_run*>(::mmap(nullptr, static_cast<std::size_t>(run_bytes),
                                           PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0));
  if (run == MAP_FAILED) ::_exit(kRunMapping);
  kvm_sregs sregs{};
  if (::ioctl(vcpu, KVM_GET_SREGS, &sregs) != 0) ::_exit(kRegisters);
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (::ioctl(vcpu, KVM_SET_SREGS, &sregs) != 0) ::_exit(kRegisters);
  kvm_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  if (::ioctl(vcpu, KVM_SET_REGS, &regs) != 0) ::_exit(kRegisters);
  if (::ioctl(vcpu, KVM_RUN, 0) != 0) ::_exit(kRun);
  ::_exit(run->exit_reason == KVM_EXIT_HLT ? kHalted : kWrongExit);
}

std::string describe(int code) {
  switch (code) {
    case kNoDevice:
      return "cannot open the KVM device (missing, or no permission)";
    case kApiVersion:
      return "unexpected KVM API version";
    case kCreateVm:
      return "KVM_CREATE_VM failed";
    case kMemory:
      return "could not give the test guest memory";
    case kCreateVcpu:
      return "KVM_CREATE_VCPU failed";
    case kRunMapping:
      return "could not map the vCPU state";
    case kRegisters:
      return "could not set the vCPU registers";
    case kRun:
      return "KVM_RUN failed";
    case kWrongExit:
      return "the test guest did not halt as expected";
    default:
      return fmt::format("the probe exited with {}", code);
  }
}

}  // namespace

KvmProbe probe_kvm(Nanoseconds timeout, const std::string& device) {
  if (::access(device.c_str(), F_OK) != 0) {
    return {false, fmt::format("{} does not exist", device)};
  }
  const pid_t child = ::fork();
  if (child < 0) return {false, fmt::format("fork: {}", std::strerror(errno))};
  if (child == 0) run_probe_guest(device.c_str());

  const TimePoint deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (Clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return {false, fmt::format("a test guest did not halt within {:.0f} ms (nested KVM?)",
                                 to_ms(timeout))};
    }
    std::this_thread::sleep_for(Milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kHalted) {
    return {true, "a test guest ran its first instruction"};
  }
  return {false, WIFEXITED(status) ? describe(WEXITSTATUS(status)) : "the probe crashed"};
}

}  // namespace periscope::vm
