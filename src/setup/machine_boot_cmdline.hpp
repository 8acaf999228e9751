#pragma once
// Kernel command lines: the one this boot used (/proc/cmdline) and the ones the bootloader's
// configuration will produce (GRUB's /etc/default/grub, systemd-boot entries,
// /etc/kernel/cmdline for UKIs). Guides edit the configuration and forget to regenerate or
// reboot; comparing the two catches that.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace periscope::setup {

// Splits like the kernel does: blanks separate arguments, double quotes group blanks.
[[nodiscard]] std::vector<std::string> split_kernel_cmdline(std::string_view text);

// The parameter name of an argument with '-' written as '_' (the kernel treats them alike):
// "vfio-pci.ids=10de:1f15" → "vfio_pci.ids".
[[nodiscard]] std::string cmdline_param_name(std::string_view arg);
// The same argument with its name normalised, so "vfio-pci.ids=x" equals "vfio_pci.ids=x".
[[nodiscard]] std::string normalise_cmdline_arg(std::string_view arg);

// Every value given to `name` (normalised), in order: the kernel uses the last one for most
// parameters.
[[nodiscard]] std::vector<std::string> cmdline_values(const std::vector<std::string>& args,
                                                      std::string_view name);

// The arguments GRUB's default entry gets from /etc/default/grub (and /etc/default/grub.d
// files, sourced after it): GRUB_CMDLINE_LINUX then GRUB_CMDLINE_LINUX_DEFAULT. The files are
// shell; this reads assignments of those two variables with shell quoting and expands
// references to them. Arguments made of other variables ($vt_handoff) are left out.
[[nodiscard]] std::vector<std::string> parse_grub_default(const std::vector<std::string>& files);

// The "options" lines of a systemd-boot (Boot Loader Specification) entry.
[[nodiscard]] std::vector<std::string> parse_loader_entry(std::string_view text);

}  // namespace periscope::setup
