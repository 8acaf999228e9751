// Each generator of `setup plan` on small made-up inputs: golden files for what it writes
// (tests/golden/setup/generators/), plus the rules a mistake would break (no vfio_virqfd from
// 6.2 on, dracut drop-ins end in .conf, every byte outside the edit stays).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "setup/setup_generators.hpp"
#include "setup_golden.hpp"

namespace periscope::setup {
namespace {

using periscope::testing::expect_golden;

// All files of a generator as one text: "== path (mode)\n<content>".
std::string show(const std::vector<PlannedFile>& files) {
  std::string out;
  for (const PlannedFile& f : files) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", f.mode);
    out += "== " + f.path + " (" + mode + "): " + f.why + "\n" + f.content;
  }
  return out;
}

GpuBinding rtx4070() {
  GpuBinding gpu;
  gpu.gpu = "0000:01:00.0";
  gpu.description = "0000:01:00.0 (NVIDIA 10de:2820, VGA controller)";
  gpu.functions = {"0000:01:00.0", "0000:01:00.1"};
  gpu.ids = {"10de:2820", "10de:22bd"};
  gpu.host_drivers = {"nvidia", "nouveau", "snd_hda_intel"};
  return gpu;
}

TEST(GenModprobe, SeparateEntryHasSoftdepsButNoIds) {
  const auto files = generate_modprobe(rtx4070(), {false, true}, {});
  ASSERT_EQ(files.size(), 1U);
  EXPECT_EQ(files[0].content.find("options vfio-pci ids="), std::string::npos);
  expect_golden("generators/modprobe-separate.txt", show(files));
}

TEST(GenModprobe, DefaultEntryOwnsTheIdsAndRetiresOtherIdsLines) {
  const std::map<std::string, std::string> current{
      {"/etc/modprobe.d/vfio.conf",
       "options vfio-pci ids=8086:1901,10de:2191 disable_vga=1\nsoftdep nvidia pre: vfio-pci\n"},
      {"/etc/modprobe.d/old.conf", "# mine\noptions vfio_pci ids=10de:2191\n"},
      {"/etc/modprobe.d/blacklist.conf", "blacklist pcspkr\n"}};
  const auto files = generate_modprobe(rtx4070(), {true, false}, current);
  ASSERT_EQ(files.size(), 3U);
  EXPECT_NE(files[0].content.find("options vfio-pci ids=10de:2820,10de:22bd\n"), std::string::npos);
  expect_golden("generators/modprobe-default.txt", show(files));
}

HostDetection host_with(std::map<std::string, std::string> files) {
  HostDetection host;
  host.files = std::move(files);
  return host;
}

const char* const kMkinitcpio =
    "# vim:set ft=sh\n"
    "MODULES=(vfio_pci vfio vfio_iommu_type1 vfio_virqfd)\n"
    "BINARIES=()\n"
    "FILES=()\n"
    "HOOKS=(base systemd autodetect microcode modconf kms keyboard sd-vconsole block filesystems "
    "fsck)\n";

TEST(GenInitramfs, MkinitcpioDropsVirqfdFrom62) {
  const HostDetection host = host_with({{"/etc/mkinitcpio.conf", kMkinitcpio}});
  auto files = generate_initramfs(InitramfsTool::kMkinitcpio, true, host);
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 1U);
  EXPECT_EQ(files->at(0).content.find("vfio_virqfd"), std::string::npos);
  expect_golden("generators/mkinitcpio-6.7.txt", show(*files));
  // Before 6.2 the same configuration is right as it is.
  auto old_kernel = generate_initramfs(InitramfsTool::kMkinitcpio, false, host);
  ASSERT_TRUE(old_kernel);
  EXPECT_EQ(old_kernel->at(0).content, kMkinitcpio);
}

TEST(GenInitramfs, MkinitcpioPutsVfioFirstAndKeepsTheRest) {
  const std::string conf =
      "# comment MODULES=(not this)\nMODULES=(nvidia btrfs)\nHOOKS=(base udev modconf)\n"
      "MODULES=(i915\n  nvidia)\nCOMPRESSION=\"zstd\"";
  auto files = generate_initramfs(InitramfsTool::kMkinitcpio, true,
                                  host_with({{"/etc/mkinitcpio.conf", conf}}));
  ASSERT_TRUE(files);
  // The last assignment is the one bash keeps; the first stays as it was.
  EXPECT_EQ(files->at(0).content,
            "# comment MODULES=(not this)\nMODULES=(nvidia btrfs)\nHOOKS=(base udev modconf)\n"
            "MODULES=(vfio_pci vfio vfio_iommu_type1 i915 nvidia)\nCOMPRESSION=\"zstd\"");
  EXPECT_FALSE(generate_initramfs(InitramfsTool::kMkinitcpio, true, host_with({})));
}

TEST(GenInitramfs, DracutDropInEndsInConfAndOldListsLoseVirqfd) {
  const HostDetection host =
      host_with({{"/etc/dracut.conf.d/vfio", "force_drivers+=\" vfio_pci vfio_virqfd \"\n"},
                 {"/etc/dracut.conf.d/50-gpu.conf",
                  "add_drivers+=\" vfio_virqfd nvme \"\n# vfio_virqfd in a comment stays\n"}});
  auto files = generate_initramfs(InitramfsTool::kDracut, true, host);
  ASSERT_TRUE(files);
  for (const PlannedFile& file : *files) {
    EXPECT_TRUE(file.path.ends_with(".conf")) << file.path;
  }
  ASSERT_EQ(files->size(), 2U);
  EXPECT_EQ(files->at(0).path, "/etc/dracut.conf.d/10-periscope-vfio.conf");
  EXPECT_EQ(files->at(1).content, "add_drivers+=\" nvme \"\n# vfio_virqfd in a comment stays\n");
  expect_golden("generators/dracut-6.6.txt", show(*files));
}

TEST(GenInitramfs, InitramfsToolsAppendsWhatIsMissing) {
  const HostDetection host =
      host_with({{"/etc/initramfs-tools/modules", "# List of modules\nvfio\nvfio_virqfd\nnvme"}});
  auto files = generate_initramfs(InitramfsTool::kInitramfsTools, true, host);
  ASSERT_TRUE(files);
  EXPECT_EQ(files->at(0).content,
            "# List of modules\nvfio\nnvme\n# periscope: vfio-pci claims the VM's GPU before its "
            "own driver loads\nvfio_iommu_type1\nvfio_pci\n");
  auto created = generate_initramfs(InitramfsTool::kInitramfsTools, false, host_with({}));
  ASSERT_TRUE(created);
  expect_golden("generators/initramfs-tools-new.txt", show(*created));
  EXPECT_EQ(initramfs_command(InitramfsTool::kInitramfsTools).argv,
            (std::vector<std::string>{"update-initramfs", "-u", "-k", "all"}));
  EXPECT_EQ(initramfs_command(InitramfsTool::kMkinitcpio).argv,
            (std::vector<std::string>{"mkinitcpio", "-P"}));
  EXPECT_TRUE(initramfs_command(InitramfsTool::kDracut).regenerate);
}

TEST(GenCmdline, ArgumentsPerVendorAndMode) {
  EXPECT_EQ(
      vfio_cmdline_args({true, true, false, {"10de:2820", "10de:22bd"}}),
      (std::vector<std::string>{"intel_iommu=on", "iommu=pt", "vfio-pci.ids=10de:2820,10de:22bd"}));
  EXPECT_EQ(vfio_cmdline_args({false, false, true, {"10de:2504"}}),
            (std::vector<std::string>{"iommu=pt", "initcall_blacklist=sysfb_init"}));
}

TEST(GenCmdline, MissingAndMergeCompareTheLastValue) {
  const std::vector<std::string> current{"quiet", "iommu=on,iommu=pt", "vfio_pci.ids=1:2",
                                         "intel_iommu=on"};
  EXPECT_EQ(missing_args(current, {"intel_iommu=on", "iommu=pt", "vfio-pci.ids=1:2"}),
            (std::vector<std::string>{"iommu=pt"}));
  EXPECT_EQ(merge_args(current, {"iommu=pt", "vfio-pci.ids=3:4", "kvm.ignore_msrs=1"}),
            (std::vector<std::string>{"quiet", "iommu=pt", "vfio-pci.ids=3:4", "intel_iommu=on",
                                      "kvm.ignore_msrs=1"}));
}

const char* const kUbuntuGrub =
    "# If you change this file, run 'update-grub' afterwards to update\n"
    "# /boot/grub/grub.cfg.\n"
    "\n"
    "GRUB_DEFAULT=0\n"
    "GRUB_TIMEOUT_STYLE=hidden\n"
    "GRUB_TIMEOUT=0\n"
    "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
    "#GRUB_CMDLINE_LINUX_DEFAULT=\"old\"\n"
    "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash $vt_handoff\"\n"
    "GRUB_CMDLINE_LINUX=\"iommu=pt\"\n";

TEST(GenCmdline, GrubEditTouchesOnlyTheDefaultLine) {
  auto edited = edit_grub_default(kUbuntuGrub, {"intel_iommu=on", "iommu=pt"},
                                  {"iommu=pt", "quiet", "splash"});
  ASSERT_TRUE(edited);
  std::string expected = kUbuntuGrub;
  expected.replace(expected.find("\"quiet splash $vt_handoff\""),
                   std::string("\"quiet splash $vt_handoff\"").size(),
                   "\"quiet splash $vt_handoff intel_iommu=on\"");
  EXPECT_EQ(*edited, expected);
  expect_golden("generators/grub-default.txt", *edited);
  // Nothing missing: the very same text.
  auto same = edit_grub_default(kUbuntuGrub, {"iommu=pt"}, {"iommu=pt"});
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, kUbuntuGrub);
  // Single quotes stay single quotes; a missing line is added at the end.
  EXPECT_EQ(*edit_grub_default("GRUB_CMDLINE_LINUX_DEFAULT='quiet'\n", {"iommu=pt"}, {}),
            "GRUB_CMDLINE_LINUX_DEFAULT='quiet iommu=pt'\n");
  EXPECT_EQ(*edit_grub_default("GRUB_TIMEOUT=5", {"iommu=pt"}, {}),
            "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"iommu=pt\"\n");
  // Shell it cannot rewrite safely is refused, not mangled.
  EXPECT_FALSE(edit_grub_default("GRUB_CMDLINE_LINUX_DEFAULT=\"$(cat /x)\"\n", {"iommu=pt"}, {}));
}

TEST(GenCmdline, KernelCmdlineAndLoaderEntry) {
  EXPECT_EQ(
      edit_kernel_cmdline("# UKI\nroot=UUID=x rw iommu=off\n", {"intel_iommu=on", "iommu=pt"}),
      "# UKI\nroot=UUID=x rw iommu=pt intel_iommu=on\n");
  const std::string entry =
      "title Fedora\nversion 6.6.8\nlinux /vmlinuz\ninitrd /initramfs.img\noptions root=UUID=y "
      "ro quiet\ngrub_class fedora\n";
  EXPECT_EQ(
      edit_loader_entry(entry, {"intel_iommu=on", "iommu=pt"}),
      "title Fedora\nversion 6.6.8\nlinux /vmlinuz\ninitrd /initramfs.img\noptions root=UUID=y "
      "ro quiet intel_iommu=on iommu=pt\ngrub_class fedora\n");
  EXPECT_EQ(edit_loader_entry(entry, {"quiet"}), entry);
}

TEST(GenBootEntry, GrubScriptGolden) {
  const PlannedFile file = grub_separate_entry({"vfio-pci.ids=10de:2206,10de:1aef"});
  EXPECT_EQ(file.path, "/etc/grub.d/11_periscope-vfio");
  EXPECT_EQ(file.mode, 0755U);
  expect_golden("generators/grub-separate-entry.txt", file.content);
}

// The script run by /bin/sh beside a stand-in 10_linux that prints entries the way GRUB's
// does: the copies get the arguments, new titles, new menu ids and each kernel's own vfio-pci
// image; a kernel without that image gets no copy.
TEST(GenBootEntry, GrubScriptCopiesEntriesWithTheSeparateImages) {
  const std::string dir = ::testing::TempDir() + "grub-d-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/boot");
  // 10_linux prints the id option as text: grub.cfg defines $menuentry_id_option itself.
  std::ofstream(dir + "/10_linux")
      << "#!/bin/sh\n"
         "entry() {\n"
         "  echo \"$1menuentry '$2' --class debian \\$menuentry_id_option '$3' {\"\n"
         "  echo \"$1\tload_video\"\n"
         "  echo \"$1\tlinux\t/boot/vmlinuz-$4 root=UUID=abc ro ${GRUB_CMDLINE_LINUX} "
         "${GRUB_CMDLINE_LINUX_DEFAULT}\"\n"
         "  echo \"$1\tinitrd\t/boot/intel-ucode.img /boot/initrd.img-$4\"\n"
         "  echo \"$1}\"\n"
         "}\n"
         "entry '' 'Debian GNU/Linux' gnulinux-simple-abc 6.1.0-18-amd64\n"
         "echo \"submenu 'Advanced options for Debian GNU/Linux' \\$menuentry_id_option "
         "'gnulinux-advanced-abc' {\"\n"
         "entry '\t' 'Debian GNU/Linux, with Linux 6.1.0-18-amd64' x 6.1.0-18-amd64\n"
         "entry '\t' 'Debian GNU/Linux, with Linux 6.1.0-17-amd64' y 6.1.0-17-amd64\n"
         "echo \"}\"\n"
         "echo \"recovery=$GRUB_DISABLE_RECOVERY\"\n";
  std::filesystem::permissions(dir + "/10_linux", std::filesystem::perms(0755));
  std::ofstream(dir + "/11_periscope-vfio")
      << grub_separate_entry({"iommu=pt", "vfio-pci.ids=1:2"}).content;
  // Only 6.1.0-18 has its image.
  std::ofstream(dir + "/boot/periscope-vfio-initrd-6.1.0-18-amd64.img") << "image";
  const std::string command = "GRUB_CMDLINE_LINUX_DEFAULT=quiet PERISCOPE_BOOT_DIR=" + dir +
                              "/boot sh " + dir + "/11_periscope-vfio > " + dir + "/out 2> " + dir +
                              "/err";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::stringstream out;
  out << std::ifstream(dir + "/out").rdbuf();
  EXPECT_EQ(out.str(),
            "menuentry 'Debian GNU/Linux - GPU for the VM (vfio-pci)' --class debian "
            "$menuentry_id_option 'periscope-vfio-gnulinux-simple-abc' {\n"
            "\tload_video\n"
            "\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=abc ro  quiet iommu=pt "
            "vfio-pci.ids=1:2\n"
            "\tinitrd\t/boot/intel-ucode.img /boot/periscope-vfio-initrd-6.1.0-18-amd64.img\n"
            "}\n"
            "submenu 'Advanced options for Debian GNU/Linux - GPU for the VM (vfio-pci)' "
            "$menuentry_id_option 'periscope-vfio-gnulinux-advanced-abc' {\n"
            "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-18-amd64 - GPU for the VM "
            "(vfio-pci)' --class debian $menuentry_id_option 'periscope-vfio-x' {\n"
            "\t\tload_video\n"
            "\t\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=abc ro  quiet iommu=pt "
            "vfio-pci.ids=1:2\n"
            "\t\tinitrd\t/boot/intel-ucode.img /boot/periscope-vfio-initrd-6.1.0-18-amd64.img\n"
            "\t}\n"
            "}\n"
            "recovery=true\n");
  std::stringstream err;
  err << std::ifstream(dir + "/err").rdbuf();
  EXPECT_NE(err.str().find("periscope-vfio-initrd-6.1.0-17-amd64.img: no vfio-pci entry for "
                           "6.1.0-17-amd64"),
            std::string::npos)
      << err.str();
  std::filesystem::remove_all(dir);
}

TEST(GenBootEntry, LoaderEntryCopiesTheNewestEntry) {
  HostDetection host;
  host.esp = "/boot";
  host.loader_entries = {
      {"/boot/loader/entries/abc-6.5.6.conf", "title Fedora (6.5.6)\nlinux /vmlinuz-6.5.6\n"},
      {"/boot/loader/entries/abc-6.6.8.conf",
       "title Fedora Linux (6.6.8)\nversion 6.6.8\nlinux /vmlinuz-6.6.8\ninitrd "
       "/initramfs-6.6.8.img\noptions root=UUID=7e ro rhgb quiet iommu=pt\ngrub_class fedora\n"}};
  auto entry = loader_separate_entry(host, {"intel_iommu=on", "iommu=pt", "vfio-pci.ids=1:2"});
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->file.path, "/boot/loader/entries/periscope-vfio.conf");
  EXPECT_EQ(entry->kernel_name, "6.6.8");
  expect_golden("generators/loader-entry-bls.txt", entry->file.content);
  // On an ESP other than /boot the image built in /boot is out of reach (GRUB's blscfg reads
  // /boot itself).
  host.esp = "/efi";
  EXPECT_FALSE(loader_separate_entry(host, {"iommu=pt"}));
  host.grub_bls = true;
  EXPECT_TRUE(loader_separate_entry(host, {"iommu=pt"}));
  // With a kernel hook to keep them current, an entry for a release boots fixed names; a
  // microcode image and a GRUB variable on the initrd lines stay.
  host.distro.pretty_name = "Fedora Linux 39";
  host.loader_entries.back().text =
      "title Fedora Linux (6.6.8)\nversion 6.6.8\nlinux /vmlinuz-6.6.8\ninitrd "
      "/amd-ucode.img\ninitrd /initramfs-6.6.8.img $tuned_initrd\noptions root=UUID=7e ro\n";
  auto tracked = loader_separate_entry(host, {"iommu=pt"}, true);
  ASSERT_TRUE(tracked);
  EXPECT_TRUE(tracked->tracked);
  const std::string& text = tracked->file.content;
  EXPECT_NE(text.find("title Fedora Linux 39 (newest kernel) - GPU for the VM (vfio-pci)\nlinux "
                      "/periscope-vfio-vmlinuz\ninitrd /amd-ucode.img\ninitrd "
                      "/periscope-vfio-initrd.img $tuned_initrd\noptions root=UUID=7e ro "
                      "iommu=pt\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("version"), std::string::npos) << text;
}

TEST(GenBootEntry, LoaderEntryForAUkiMachine) {
  HostDetection host;
  host.esp = "/boot";
  host.boot_images = {"/boot/initramfs-linux-zen.img", "/boot/vmlinuz-linux-zen"};
  host.files["/etc/kernel/cmdline"] = "root=PARTUUID=5e rw intel_iommu=on iommu=pt\n";
  auto entry = loader_separate_entry(host, {"intel_iommu=on", "iommu=pt", "vfio-pci.ids=1:2"});
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->kernel_name, "linux-zen");
  expect_golden("generators/loader-entry-uki.txt", entry->file.content);
  host.esp = "/efi";  // the kernel in /boot is out of systemd-boot's reach
  EXPECT_FALSE(loader_separate_entry(host, {"iommu=pt"}));
  host.esp.clear();
  EXPECT_FALSE(loader_separate_entry(host, {"iommu=pt"}));
}

TEST(GenBootEntry, GrubCommandPerDistribution) {
  HostDetection debian;
  debian.distro.id = "ubuntu";
  debian.distro.id_like = {"debian"};
  EXPECT_EQ(grub_command(debian).argv, (std::vector<std::string>{"update-grub"}));
  HostDetection arch;
  arch.distro.id = "arch";
  arch.grub_cfg = "/boot/grub/grub.cfg";
  EXPECT_EQ(grub_command(arch).argv,
            (std::vector<std::string>{"grub-mkconfig", "-o", "/boot/grub/grub.cfg"}));
  EXPECT_EQ(kernelstub_command({"iommu=pt", "x=1"}).argv,
            (std::vector<std::string>{"kernelstub", "-a", "iommu=pt x=1"}));
}

TEST(GenShmAccess, ShmFileWithAppArmor) {
  ShmChoices choices;
  choices.user = "user";
  choices.apparmor = true;
  const HostDetection host =
      host_with({{"/etc/apparmor.d/local/abstractions/libvirt-qemu", "# site rules\n"}});
  const auto files = generate_shm_access(choices, host);
  expect_golden("generators/shm-apparmor.txt", show(files));
  const auto commands = shm_access_commands(choices, files);
  ASSERT_EQ(commands.size(), 2U);
  EXPECT_EQ(commands[0].argv[0], "systemd-tmpfiles");
  EXPECT_EQ(commands[1].argv, (std::vector<std::string>{"systemctl", "reload", "apparmor"}));
}

TEST(GenShmAccess, KvmfrWithoutAndWithAnAclInQemuConf) {
  ShmChoices choices;
  choices.kind = ShmKind::kKvmfr;
  choices.user = "user";
  choices.size_mib = 64;
  const HostDetection commented =
      host_with({{"/etc/libvirt/qemu.conf", "#cgroup_device_acl = [\n#    \"/dev/null\"\n#]\n"}});
  expect_golden("generators/kvmfr.txt", show(generate_shm_access(choices, commented)));
  const HostDetection set =
      host_with({{"/etc/libvirt/qemu.conf",
                  "user = \"qemu\"\ncgroup_device_acl = [\n    \"/dev/null\", "
                  "\"/dev/kvm\"\n]\nsecurity_driver = \"none\"\n"}});
  const auto files = generate_shm_access(choices, set);
  const auto conf = std::find_if(files.begin(), files.end(), [](const PlannedFile& f) {
    return f.path == "/etc/libvirt/qemu.conf";
  });
  ASSERT_NE(conf, files.end());
  EXPECT_EQ(conf->content,
            "user = \"qemu\"\ncgroup_device_acl = [\n    \"/dev/null\", "
            "\"/dev/kvm\", \"/dev/kvmfr0\"\n]\nsecurity_driver = \"none\"\n");
  const auto commands = shm_access_commands(choices, files);
  ASSERT_EQ(commands.size(), 2U);
  EXPECT_EQ(commands[1].argv, (std::vector<std::string>{"systemctl", "restart", "libvirtd"}));
}

}  // namespace
}  // namespace periscope::setup
