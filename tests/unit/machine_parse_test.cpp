// The small parsers behind the machine facts: strict on what they accept, never throwing.
#include <gtest/gtest.h>

#include "setup/cpu_topology.hpp"
#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_facts.hpp"
#include "setup/machine_reader_memory.hpp"
#include "setup/machine_text.hpp"
#include "setup/machine_vfio_ids.hpp"
#include "setup/pci_device.hpp"

namespace periscope::setup {
namespace {

using Args = std::vector<std::string>;

TEST(MachineText, ParseHexIsStrict) {
  EXPECT_EQ(parse_hex("0x030000\n", 6), 0x030000U);
  EXPECT_EQ(parse_hex(" 0x10DE ", 4), 0x10deU);
  EXPECT_FALSE(parse_hex("030000", 6));     // no 0x
  EXPECT_FALSE(parse_hex("0x", 6));         // no digits
  EXPECT_FALSE(parse_hex("0x0300000", 6));  // too many digits
  EXPECT_FALSE(parse_hex("0x03zz00", 6));
  EXPECT_FALSE(parse_hex("0x0300 00", 6));
  EXPECT_FALSE(parse_hex(std::string("0x03\0", 5), 6));
  EXPECT_EQ(parse_small_int("42\n"), 42);
  EXPECT_FALSE(parse_small_int("-1"));
  EXPECT_FALSE(parse_small_int("1234567890"));
}

TEST(MachineText, PciAddressesAndNames) {
  EXPECT_TRUE(is_pci_address("0000:01:00.0"));
  EXPECT_TRUE(is_pci_address("10000:e1:00.7"));  // VMD domains have 5 digits
  EXPECT_FALSE(is_pci_address("0000:01:00.8"));
  EXPECT_FALSE(is_pci_address("0000:01:00"));
  EXPECT_FALSE(is_pci_address("0000:0G:00.0"));
  EXPECT_FALSE(is_pci_address("pci0000:00"));
  EXPECT_TRUE(is_kernel_name("vfio-pci"));
  EXPECT_FALSE(is_kernel_name("../x"));
  EXPECT_EQ(path_basename("../../../bus/pci/drivers/vfio-pci"), "vfio-pci");
}

TEST(MachineText, PrintableKeepsUtf8AndDropsControls) {
  EXPECT_EQ(printable("a\nb\x1b[31m"), "a?b?[31m");
  EXPECT_EQ(printable("神舟"), "神舟");
  EXPECT_EQ(printable("\xff\xfe"), "??");
  EXPECT_EQ(printable("\xe7\xa5"), "??");  // a cut-short sequence
  EXPECT_EQ(printable("abcdef", 3), "abc...");
}

TEST(MachineCpuList, ParsesKernelCpuLists) {
  EXPECT_EQ(parse_cpu_list("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(parse_cpu_list("5"), (std::vector<int>{5}));
  EXPECT_EQ(parse_cpu_list(""), std::vector<int>{});
  EXPECT_FALSE(parse_cpu_list("1-"));
  EXPECT_FALSE(parse_cpu_list("3-1"));
  EXPECT_FALSE(parse_cpu_list("a"));
  EXPECT_FALSE(parse_cpu_list("0-99999999"));
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
}

TEST(MachineCmdline, SplitsAndNormalisesLikeTheKernel) {
  EXPECT_EQ(split_kernel_cmdline(" a  b=\"x y\" c\n"), (Args{"a", "b=\"x y\"", "c"}));
  EXPECT_EQ(normalise_cmdline_arg("vfio-pci.ids=10de:1f15"), "vfio_pci.ids=10de:1f15");
  EXPECT_EQ(cmdline_values({"iommu=pt", "vfio_pci.ids=a", "vfio-pci.ids=b"}, "vfio_pci.ids"),
            (Args{"a", "b"}));
}

TEST(MachineCmdline, ReadsGrubDefaultsLikeTheShell) {
  const std::string grub =
      "# comment GRUB_CMDLINE_LINUX=\"no\"\n"
      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash $vt_handoff\"\n"
      "GRUB_CMDLINE_LINUX='amd_iommu=on iommu=pt'\n"
      "export GRUB_CMDLINE_LINUX_DEFAULT=\"${GRUB_CMDLINE_LINUX_DEFAULT} kvm.ignore_msrs=1\"\n";
  EXPECT_EQ(parse_grub_default({grub}),
            (Args{"amd_iommu=on", "iommu=pt", "quiet", "splash", "kvm.ignore_msrs=1"}));
  // /etc/default/grub.d files are sourced after it and may override.
  EXPECT_EQ(parse_grub_default({grub, "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX x=1\"\n"}),
            (Args{"amd_iommu=on", "iommu=pt", "x=1", "quiet", "splash", "kvm.ignore_msrs=1"}));
  EXPECT_EQ(parse_grub_default({"GRUB_CMDLINE_LINUX=\"unterminated"}), (Args{"unterminated"}));
  EXPECT_TRUE(parse_grub_default({"\x01\x02 garbage ==== \"'"}).empty());
}

TEST(MachineCmdline, ReadsLoaderEntryOptions) {
  EXPECT_EQ(parse_loader_entry("title Arch\nlinux /vmlinuz\noptions root=/dev/sda1 rw\n"
                               "options\tintel_iommu=on\noptionsx nope\n"),
            (Args{"root=/dev/sda1", "rw", "intel_iommu=on"}));
}

TEST(MachineCmdline, ComparesRunningAndConfigured) {
  MemoryMachineReader machine;
  machine.file("/proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet\n")
      .file("/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n")
      .file("/boot/loader/entries/a.conf", "options quiet\n")
      .file("/boot/loader/entries/b.txt", "options ignored\n");
  const BootFacts boot = read_boot_facts(machine);
  ASSERT_TRUE(boot.running);
  EXPECT_EQ(*boot.running, (Args{"BOOT_IMAGE=/vmlinuz", "quiet"}));
  ASSERT_EQ(boot.configured.size(), 2U);
  EXPECT_EQ(boot.configured[0].args, (Args{"quiet", "intel_iommu=on"}));
  EXPECT_EQ(boot.configured[1].source, "/boot/loader/entries/a.conf");
}

TEST(MachineVfioIds, ReadsIdsTheWayTheKernelDoes) {
  const auto entries = parse_vfio_ids("10de:1f15,,10de:1aec.10de:1aed,zz,0x10de:0x10f9,1:2:3:4");
  ASSERT_EQ(entries.size(), 5U);
  EXPECT_TRUE(entries[0].well_formed);
  EXPECT_EQ(entries[0].device, 0x1f15);
  // The typo from guide 003: the kernel takes 10de:1aec and drops the rest.
  EXPECT_FALSE(entries[1].well_formed);
  EXPECT_EQ(entries[1].vendor, 0x10de);
  EXPECT_EQ(entries[1].device, 0x1aec);
  EXPECT_FALSE(entries[2].vendor);
  EXPECT_FALSE(entries[3].well_formed);
  EXPECT_EQ(entries[3].device, 0x10f9);
  EXPECT_TRUE(entries[4].well_formed);
}

TEST(MachineInitramfs, ReadsEachToolsModuleLists) {
  MemoryMachineReader machine;
  machine
      .file("/etc/mkinitcpio.conf",
            "#MODULES=(commented)\nMODULES=(vfio_pci\n  vfio \"vfio_iommu_type1\")\n"
            "MODULES+=(vfio_virqfd)\nHOOKS=(base)\n")
      .file("/etc/dracut.conf.d/10-vfio.conf", "force_drivers+=\" vfio_pci vfio \"\n")
      .file("/etc/dracut.conf.d/vfio", "add_drivers+=\" vfio_virqfd \"\n")
      .file("/etc/initramfs-tools/modules", "# comment\nvfio\nvfio_pci ids=10de:1f15\n");
  const InitramfsFacts facts = read_initramfs_facts(machine);
  ASSERT_EQ(facts.tools.size(), 3U);
  ASSERT_EQ(facts.configs.size(), 3U);
  EXPECT_EQ(facts.configs[0].modules,
            (Args{"vfio_pci", "vfio", "vfio_iommu_type1", "vfio_virqfd"}));
  EXPECT_EQ(facts.configs[1].modules, (Args{"vfio_pci", "vfio"}));
  EXPECT_EQ(facts.configs[2].modules, (Args{"vfio", "vfio_pci"}));
  EXPECT_EQ(facts.dracut_ignored, Args{"/etc/dracut.conf.d/vfio"});
}

TEST(MachinePci, GarbageAttributesAreProblemsNotCrashes) {
  MemoryMachineReader machine;
  const std::string dev = "/sys/bus/pci/devices/0000:01:00.0";
  machine.file(dev + "/class", "0xZZ\n")
      .file(dev + "/vendor", std::string(100000, 'x'))
      .file(dev + "/device", "")
      .file(dev + "/boot_vga", "2\n")
      .file(dev + "/power_state", "\x1b[2J")
      .link(dev + "/iommu_group", "../../kernel/iommu_groups/not-a-number")
      .link(dev + "/driver", "../drivers/bad\nname")
      .file("/sys/bus/pci/devices/garbage/class", "0x030000\n");
  auto pci = read_pci_facts(machine);
  ASSERT_TRUE(pci);
  ASSERT_EQ(pci->devices.size(), 1U);
  const PciDevice& d = pci->devices[0];
  EXPECT_FALSE(d.class_code);
  EXPECT_FALSE(d.vendor);
  EXPECT_FALSE(d.device);
  EXPECT_FALSE(d.boot_vga);
  EXPECT_FALSE(d.iommu_group);
  EXPECT_TRUE(d.power_state.empty());
  EXPECT_FALSE(d.is_display());
  EXPECT_GE(d.problems.size(), 6U);
  EXPECT_EQ(d.ids(), "????:????");
  EXPECT_EQ(pci->skipped, Args{"garbage"});
}

}  // namespace
}  // namespace periscope::setup
