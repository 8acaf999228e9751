#pragma once
// Puts GPU passthrough into a domain the user already has (virsh dumpxml), instead of a new
// one: only the parts we own are added or replaced, everything else (disks, network, the
// firmware choice, the user's own comments and devices) stays as it was.
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "setup/libvirt_domain.hpp"

namespace periscope::setup {

// What is ours, taken from `spec`:
// - <vcpu>, <iothreads> (at least 1), and in <cputune> the vcpupin/emulatorpin/iothreadpin;
// - <cpu mode='host-passthrough'> with our <topology> (and topoext on AMD);
// - in <features>: acpi, apic, the Hyper-V enlightenments we set (others kept), kvm hidden,
//   ioapic;
// - the GPU's hostdevs (any hostdev of the GPU's host slot is replaced) on one guest slot
//   behind a pcie-root-port (the one the old GPU function 0 used when nothing else is on it,
//   else a new index; a <rom file> the old function 0 had is kept when the spec names none;
//   comments inside the old hostdevs go with them), <shmem name='looking-glass'>, <memballoon
//   model='none'/>, the evdev inputs asked for;
// - our qemu:commandline arguments (the same SSDT path, the same QMP socket, kvmfr's
//   looking-glass device/object) and qemu:override devices for our aliases; override blocks
//   left empty are removed (libvirt#321).
// Not touched: name, memory, <os> (switching an installed guest from BIOS to UEFI or
// changing its firmware would stop it booting), disks, network, graphics, video.
// Patching twice with the same spec gives the same document. Fails on XML that is not a
// <domain>, or that binds the QEMU namespace to a prefix other than "qemu".
[[nodiscard]] Result<std::string> patch_domain_xml(std::string_view existing,
                                                   const DomainSpec& spec);

}  // namespace periscope::setup
