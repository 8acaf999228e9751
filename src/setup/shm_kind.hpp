#pragma once
// How the VM and the viewer share memory: the two ways Looking Glass setups do it.

namespace periscope::setup {

enum class ShmKind {
  kShmFile,  // /dev/shm/looking-glass (libvirt's <shmem>), made by tmpfiles for the user
  kKvmfr,    // the kvmfr module's /dev/kvmfr0 (qemu:commandline), permitted by udev
};

}  // namespace periscope::setup
