#pragma once
// The doctor's checks, by area. Each appends verdicts for facts already read; none of them
// reads the machine. Ids are stable (scripts match on them): each function lists its own.
#include <string>
#include <string_view>
#include <vector>

#include "setup/doctor_check.hpp"
#include "setup/doctor_gpu_choice.hpp"
#include "setup/machine_facts.hpp"

namespace periscope::setup {

// cpu.virtualization, cpu.topology
void add_cpu_checks(const MachineFacts& facts, std::vector<Check>& checks);
// iommu.firmware, iommu.kernel, iommu.mode, cmdline.configured, cmdline.args
void add_iommu_checks(const MachineFacts& facts, std::vector<Check>& checks);
// pci.read, gpu.list, gpu.host_keeps, gpu.boot_vga, gpu.present, gpu.iommu_group,
// gpu.functions, gpu.group_viable, gpu.driver, gpu.ids_unique, gpu.subsystem, gpu.reset,
// gpu.power_state, laptop.topology
void add_gpu_checks(const MachineFacts& facts, const GpuChoice& choice, std::vector<Check>& checks);
// kernel.version, vfio.modules, vfio.ids, initramfs.tool, initramfs.vfio,
// initramfs.vfio_virqfd, initramfs.dracut_suffix, kvm.msrs
void add_vfio_checks(const MachineFacts& facts, const GpuChoice& choice,
                     std::vector<Check>& checks);
// virt.qemu, virt.libvirt, virt.ovmf, security.mac, shm.memory, vm.definitions
void add_host_checks(const MachineFacts& facts, std::vector<Check>& checks);

// How to add kernel arguments on this machine: the bootloader whose configuration matches the
// running command line best, the file to edit and the command that regenerates it.
[[nodiscard]] std::string how_to_add_kernel_args(const BootFacts& boot, std::string_view args);

}  // namespace periscope::setup
