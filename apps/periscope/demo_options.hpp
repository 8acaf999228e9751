#pragma once
// The options of `periscope demo`, shared by its two forms: the demo VM and the two-process
// test pattern.
#include <string>

#include "viewer/headless_view.hpp"
#include "window/window_view.hpp"

namespace periscope::app {

struct DemoOptions {
  viewer::HeadlessViewOptions view;
  window::WindowViewOptions window;
  bool headless{false};
  // auto: the VM when QEMU and the demo VM image are here, else the test pattern.
  std::string guest{"auto"};
  std::string vm_dir;          // vmlinuz + initrd.img; default: <bin>/../demo-vm
  std::string accel{"auto"};   // auto, kvm, tcg
  double boot_timeout_s{180};  // from QEMU's start to the agent's first frame
  std::string serial_log;      // keep the guest's serial console here (default: dropped)
  // Test pattern only.
  std::string size{"1920x1080"};
  double fps{60};
  std::string format{"bgra"};
};

// Runs the viewer (window or headless) on a region another process fills; both demo forms end
// here. Returns the viewer's exit code.
int run_demo_viewer(DemoOptions& options, const std::string& shm, const std::string& post_clock,
                    const std::string& qmp, const std::string& title);

// The demo VM: `periscope demo` when QEMU is installed. Returns the exit code, or -1 when the
// VM cannot be used here (the caller falls back to the test pattern and says why).
int run_vm_demo(DemoOptions& options);

}  // namespace periscope::app
