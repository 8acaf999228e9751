// `setup plan` on the captured machines: the whole plan of several fixtures as golden text
// (tests/golden/setup/<fixture>/), the refusals (only GPU, boot GPU, shared IOMMU group) and
// what --force turns them into, and that a plan written onto the machine plans nothing more.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "setup/machine_reader_fs.hpp"
#include "setup/setup_plan_report.hpp"
#include "setup/setup_planner.hpp"
#include "setup_golden.hpp"

namespace periscope::setup {
namespace {

using periscope::testing::expect_golden;
using periscope::testing::machine_fixture;

Result<PlanOutcome> plan_on(const std::string& root, PlanOptions options) {
  if (options.user.empty()) options.user = "user";
  auto reader = FsMachineReader::open(root);
  if (!reader) return tl::unexpected(reader.error());
  return plan_setup(*reader, options);
}

PlanOutcome plan_fixture(const std::string& name, PlanOptions options = {}) {
  auto outcome = plan_on(machine_fixture(name), std::move(options));
  EXPECT_TRUE(outcome) << name << ": " << (outcome ? "" : outcome.error().message);
  return outcome ? std::move(*outcome) : PlanOutcome{};
}

const PlannedFile* file_of(const PlanOutcome& outcome, const std::string& path) {
  for (const PlannedFile& f : outcome.plan.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::vector<std::vector<std::string>> argvs(const PlanOutcome& outcome) {
  std::vector<std::vector<std::string>> out;
  for (const PlannedCommand& c : outcome.plan.commands) out.push_back(c.argv);
  return out;
}

struct GoldenCase {
  const char* fixture;
  const char* name;
  BootEntryMode mode;
  ShmKind shm;
  const char* resolution;
};

const GoldenCase kGoldenCases[] = {
    {"rtx3070-mobile", "plan-separate", BootEntryMode::kSeparate, ShmKind::kShmFile, "1920x1080"},
    {"rtx3070-mobile", "plan-default", BootEntryMode::kDefault, ShmKind::kShmFile, "1920x1080"},
    {"rtx4070-laptop-intel-igpu", "plan-separate", BootEntryMode::kSeparate, ShmKind::kShmFile,
     "2560x1600"},
    {"rtx4070-laptop-intel-igpu", "plan-default", BootEntryMode::kDefault, ShmKind::kShmFile,
     "2560x1600"},
    {"desktop-clean-group", "plan-separate-kvmfr", BootEntryMode::kSeparate, ShmKind::kKvmfr,
     "3840x2160"},
    {"desktop-clean-group", "plan-default", BootEntryMode::kDefault, ShmKind::kShmFile,
     "2560x1440"},
    {"gtx1660ti-laptop", "plan-default", BootEntryMode::kDefault, ShmKind::kShmFile, "1920x1080"},
    {"gtx1660ti-laptop", "plan-separate", BootEntryMode::kSeparate, ShmKind::kShmFile, "1920x1080"},
    {"rtx2060-mobile", "plan-separate", BootEntryMode::kSeparate, ShmKind::kShmFile, "1920x1080"},
    {"iommu-off", "plan-default", BootEntryMode::kDefault, ShmKind::kShmFile, "1920x1080"},
};

TEST(SetupPlanGolden, WholePlans) {
  for (const GoldenCase& c : kGoldenCases) {
    PlanOptions options;
    options.boot_entry = c.mode;
    options.shm = c.shm;
    options.resolution = c.resolution;
    const PlanOutcome outcome = plan_fixture(c.fixture, options);
    EXPECT_FALSE(outcome.refused()) << c.fixture << ": " << outcome.refusal;
    expect_golden(std::string(c.fixture) + "/" + c.name + ".txt", plan_text(outcome));
  }
}

// Nothing the default entry boots with changes: its command line, modprobe.d, the
// distribution's initramfs configuration and images. The separate entry gets its own image.
TEST(SetupPlan, SeparateEntryLeavesTheDefaultEntryAlone) {
  const auto default_entry_input = [](const std::string& path) {
    return path == "/etc/default/grub" || path == "/etc/mkinitcpio.conf" ||
           path == "/etc/kernel/cmdline" || path == "/etc/initramfs-tools/modules" ||
           path.rfind("/etc/modprobe.d/", 0) == 0 || path.rfind("/etc/dracut.conf.d/", 0) == 0;
  };
  const PlanOutcome grub = plan_fixture("rtx3070-mobile");
  for (const PlannedFile& f : grub.plan.files) EXPECT_FALSE(default_entry_input(f.path)) << f.path;
  const PlannedFile* entry = file_of(grub, "/etc/grub.d/11_periscope-vfio");
  ASSERT_NE(entry, nullptr);
  // Intel: the IOMMU args are already configured, so only the binding is added, and KVM's
  // MSR option rides on the same command line instead of modprobe.d.
  EXPECT_NE(entry->content.find("periscope_args='vfio-pci.ids=10de:249d,10de:228b "
                                "kvm.ignore_msrs=1 kvm.report_ignored_msrs=0'"),
            std::string::npos);
  // Arch: a private configuration on top of the host's, and the preset builds it on updates.
  const PlannedFile* conf = file_of(grub, "/etc/periscope/mkinitcpio-vfio.conf");
  ASSERT_NE(conf, nullptr);
  EXPECT_NE(conf->content.find("source /etc/mkinitcpio.conf\n"), std::string::npos);
  const PlannedFile* preset = file_of(grub, "/etc/mkinitcpio.d/linux.preset");
  ASSERT_NE(preset, nullptr);
  EXPECT_NE(preset->content.find("PRESETS+=('periscope_vfio')\n"
                                 "periscope_vfio_config='/etc/periscope/mkinitcpio-vfio.conf'\n"
                                 "periscope_vfio_image='/boot/periscope-vfio-initrd-linux.img'\n"),
            std::string::npos)
      << preset->content;
  EXPECT_EQ(argvs(grub),
            (std::vector<std::vector<std::string>>{
                {"mkinitcpio", "--config", "/etc/periscope/mkinitcpio-vfio.conf", "--kernel",
                 "/boot/vmlinuz-linux", "--generate", "/boot/periscope-vfio-initrd-linux.img"},
                {"grub-mkconfig", "-o", "/boot/grub/grub.cfg"},
                {"systemd-tmpfiles", "--create", "/etc/tmpfiles.d/10-looking-glass.conf"}}));
  // The images are derived state outside the files (also those the kernel hook builds after
  // apply): rollback removes them all.
  EXPECT_EQ(grub.plan.commands[0].undo,
            (std::vector<std::string>{"find", "/boot", "-maxdepth", "1", "-type", "f", "-name",
                                      "periscope-vfio-*", "-delete"}));
  EXPECT_FALSE(grub.plan.commands[0].regenerate);

  const PlanOutcome uki = plan_fixture("rtx4070-laptop-intel-igpu");
  for (const PlannedFile& f : uki.plan.files) EXPECT_FALSE(default_entry_input(f.path)) << f.path;
  const PlannedFile* loader = file_of(uki, "/boot/loader/entries/periscope-vfio.conf");
  ASSERT_NE(loader, nullptr);
  EXPECT_NE(loader->content.find("initrd /periscope-vfio-initrd-linux-zen.img\n"),
            std::string::npos)
      << loader->content;

  // Debian: a hook that acts only for the separate image, and the kernel hooks.
  const PlanOutcome debian = plan_fixture("desktop-clean-group");
  for (const PlannedFile& f : debian.plan.files) {
    EXPECT_FALSE(default_entry_input(f.path)) << f.path;
  }
  const PlannedFile* hook = file_of(debian, "/etc/initramfs-tools/hooks/periscope-vfio");
  ASSERT_NE(hook, nullptr);
  EXPECT_NE(hook->content.find("[ \"${PERISCOPE_VFIO_IMAGE:-}\" = 1 ] || exit 0\n"),
            std::string::npos);
  EXPECT_NE(file_of(debian, "/etc/kernel/postinst.d/periscope-vfio"), nullptr);
  EXPECT_NE(file_of(debian, "/etc/kernel/postrm.d/periscope-vfio"), nullptr);
  ASSERT_FALSE(debian.plan.commands.empty());
  // Apply runs the kernel hook itself, strict: the same code as after an update.
  EXPECT_EQ(debian.plan.commands[0].argv,
            (std::vector<std::string>{"env", "PERISCOPE_VFIO_STRICT=1",
                                      "/etc/kernel/postinst.d/periscope-vfio", "6.1.0-18-amd64",
                                      "/boot/vmlinuz-6.1.0-18-amd64"}));
}

// Fedora's loader entries name a kernel release: the copy boots fixed names the kernel hook
// keeps on the newest kernel, so the entry survives updates.
TEST(SetupPlan, ACopiedEntryForAReleaseFollowsTheNewestKernel) {
  PlanOptions options;
  options.force = true;
  const PlanOutcome fedora = plan_fixture("single-gpu", options);
  const PlannedFile* entry = file_of(fedora, "/boot/loader/entries/periscope-vfio.conf");
  ASSERT_NE(entry, nullptr);
  EXPECT_NE(entry->content.find("\nlinux /periscope-vfio-vmlinuz\ninitrd "
                                "/periscope-vfio-initrd.img\n"),
            std::string::npos)
      << entry->content;
  EXPECT_EQ(entry->content.find("version "), std::string::npos) << entry->content;
  EXPECT_EQ(entry->content.find("6.6.8"), std::string::npos) << entry->content;
  const PlannedFile* plugin = file_of(fedora, "/etc/kernel/install.d/90-periscope-vfio.install");
  ASSERT_NE(plugin, nullptr);
  EXPECT_NE(plugin->content.find("track()"), std::string::npos);
  ASSERT_FALSE(fedora.plan.commands.empty());
  EXPECT_EQ(fedora.plan.commands[0].argv,
            (std::vector<std::string>{
                "env", "PERISCOPE_VFIO_STRICT=1", "/etc/kernel/install.d/90-periscope-vfio.install",
                "add", "6.6.8-200.fc39.x86_64", "/boot", "/boot/vmlinuz-6.6.8-200.fc39.x86_64"}));
  for (const std::string& warning : fedora.plan.warnings) {
    EXPECT_EQ(warning.find("keeps booting that kernel"), std::string::npos) << warning;
  }
}

TEST(SetupPlan, NoVfioVirqfdFrom62) {
  // rtx4070's mkinitcpio.conf lists vfio_virqfd on 6.7: binding on the default entry, the plan
  // takes it out.
  PlanOptions options;
  options.boot_entry = BootEntryMode::kDefault;
  const PlanOutcome outcome = plan_fixture("rtx4070-laptop-intel-igpu", options);
  const PlannedFile* conf = file_of(outcome, "/etc/mkinitcpio.conf");
  ASSERT_NE(conf, nullptr);
  EXPECT_EQ(conf->content.find("vfio_virqfd"), std::string::npos);
  // The separate entry's image filters it out of its own MODULES, the host's file stays.
  const PlanOutcome separate = plan_fixture("rtx4070-laptop-intel-igpu");
  EXPECT_EQ(file_of(separate, "/etc/mkinitcpio.conf"), nullptr);
  const PlannedFile* own = file_of(separate, "/etc/periscope/mkinitcpio-vfio.conf");
  ASSERT_NE(own, nullptr);
  EXPECT_NE(own->content.find("vfio_virqfd) ;;"), std::string::npos);
  // The GTX 1660 Ti laptop runs 6.0, where vfio_virqfd still exists: its list stays.
  const PlanOutcome old = plan_fixture("gtx1660ti-laptop", options);
  EXPECT_EQ(file_of(old, "/etc/mkinitcpio.conf"), nullptr);
  EXPECT_NE(std::find(old.unchanged.begin(), old.unchanged.end(), "/etc/mkinitcpio.conf"),
            old.unchanged.end());
}

// mkinitcpio reads its drop-ins after the main file: a MODULES=() there would undo the edit.
TEST(SetupPlan, MkinitcpioDropInsAreWarnedAbout) {
  const std::string root = ::testing::TempDir() + "plan-dropin-" + std::to_string(::getpid());
  std::filesystem::remove_all(root);
  std::filesystem::copy(
      machine_fixture("rtx3070-mobile"), root,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  std::filesystem::create_directories(root + "/etc/mkinitcpio.conf.d");
  std::ofstream(root + "/etc/mkinitcpio.conf.d/10-nvidia.conf") << "MODULES=(nvidia nvidia_drm)\n";
  PlanOptions options;
  options.boot_entry = BootEntryMode::kDefault;
  auto outcome = plan_on(root, options);
  ASSERT_TRUE(outcome);
  bool warned = false;
  for (const std::string& w : outcome->plan.warnings) {
    warned = warned ||
             w.find("/etc/mkinitcpio.conf.d/10-nvidia.conf is read after") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  std::filesystem::remove_all(root);
}

TEST(SetupPlan, AllFunctionsAreBound) {
  const PlanOutcome outcome = plan_fixture("rtx2060-mobile");
  ASSERT_TRUE(outcome.gpu);
  EXPECT_EQ(outcome.gpu->functions, (std::vector<std::string>{"0000:01:00.0", "0000:01:00.1",
                                                              "0000:01:00.2", "0000:01:00.3"}));
  EXPECT_EQ(outcome.gpu->ids,
            (std::vector<std::string>{"10de:1f15", "10de:10f9", "10de:1ada", "10de:1adb"}));
  EXPECT_EQ(outcome.gpu->host_drivers,
            (std::vector<std::string>{"nvidia", "nouveau", "snd_hda_intel", "xhci_pci",
                                      "i2c_nvidia_gpu"}));
}

TEST(SetupPlanRefusal, OnlyGpu) {
  const PlanOutcome outcome = plan_fixture("single-gpu");
  ASSERT_TRUE(outcome.refused());
  EXPECT_TRUE(outcome.plan.files.empty());
  EXPECT_NE(outcome.refusal.find("ONLY GPU"), std::string::npos) << outcome.refusal;
  EXPECT_NE(outcome.refusal.find("BOOT GPU"), std::string::npos) << outcome.refusal;
  EXPECT_NE(outcome.refusal.find("--gpu 0000:01:00.0 --force"), std::string::npos)
      << outcome.refusal;
}

TEST(SetupPlanRefusal, ForcedOnlyGpuWarnsLoudlyAndReleasesTheConsole) {
  PlanOptions options;
  options.force = true;
  const PlanOutcome outcome = plan_fixture("single-gpu", options);
  ASSERT_FALSE(outcome.refused());
  ASSERT_GE(outcome.plan.warnings.size(), 2U);
  EXPECT_NE(outcome.plan.warnings[0].find("FORCED (--force): 0000:01:00.0 (NVIDIA 10de:2504, VGA "
                                          "controller) is this machine's ONLY GPU"),
            std::string::npos)
      << outcome.plan.warnings[0];
  const PlannedFile* entry = file_of(outcome, "/boot/loader/entries/periscope-vfio.conf");
  ASSERT_NE(entry, nullptr);
  EXPECT_NE(entry->content.find("initcall_blacklist=sysfb_init"), std::string::npos);
  // Fedora: the separate image is built by a kernel-install plugin, dracut's own
  // configuration stays; binding on the default entry, a drop-in that keeps the .conf suffix.
  EXPECT_NE(file_of(outcome, "/etc/kernel/install.d/90-periscope-vfio.install"), nullptr);
  EXPECT_EQ(file_of(outcome, "/etc/dracut.conf.d/10-periscope-vfio.conf"), nullptr);
  expect_golden("single-gpu/plan-forced.txt", plan_text(outcome));
  options.boot_entry = BootEntryMode::kDefault;
  const PlanOutcome on_default = plan_fixture("single-gpu", options);
  EXPECT_NE(file_of(on_default, "/etc/dracut.conf.d/10-periscope-vfio.conf"), nullptr);
}

TEST(SetupPlanRefusal, DirtyGroup) {
  const PlanOutcome outcome = plan_fixture("desktop-dirty-group");
  ASSERT_TRUE(outcome.refused());
  EXPECT_NE(outcome.refusal.find("0000:08:00.0 (NVIDIA 10de:1c03, VGA controller) shares IOMMU "
                                 "group 14 with 0000:03:00.0 (USB controller, xhci_hcd)"),
            std::string::npos)
      << outcome.refusal;
  EXPECT_EQ(outcome.refusal.find("ONLY GPU"), std::string::npos);
  PlanOptions options;
  options.force = true;
  const PlanOutcome forced = plan_fixture("desktop-dirty-group", options);
  ASSERT_FALSE(forced.refused());
  ASSERT_FALSE(forced.plan.warnings.empty());
  EXPECT_NE(forced.plan.warnings[0].find("FORCED (--force)"), std::string::npos);
  // Only the GPU's own functions are bound, never the SATA or network controller.
  EXPECT_EQ(forced.gpu->ids, (std::vector<std::string>{"10de:1c03", "10de:10f1"}));
}

TEST(SetupPlanRefusal, BootGpu) {
  PlanOptions options;
  options.gpu = "0c:00.0";  // the RX 6400 the desktop boots on
  const PlanOutcome outcome = plan_fixture("desktop-clean-group", options);
  ASSERT_TRUE(outcome.refused());
  EXPECT_NE(outcome.refusal.find("BOOT GPU"), std::string::npos) << outcome.refusal;
  EXPECT_EQ(outcome.refusal.find("ONLY GPU"), std::string::npos) << outcome.refusal;
}

TEST(SetupPlanRefusal, UnknownGpuAndMissingUserAreErrors) {
  PlanOptions options;
  options.gpu = "0000:42:00.0";
  auto outcome = plan_on(machine_fixture("desktop-clean-group"), options);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().message.find("0000:0b:00.0, 0000:0c:00.0"), std::string::npos)
      << outcome.error().message;
  auto reader = FsMachineReader::open(machine_fixture("desktop-clean-group"));
  ASSERT_TRUE(reader);
  auto no_user = plan_setup(*reader, PlanOptions{});
  ASSERT_FALSE(no_user);
  EXPECT_NE(no_user.error().message.find("--user"), std::string::npos);
}

// Writing a plan's files onto a copy of the machine and planning again: nothing left to do.
TEST(SetupPlan, APlanWrittenOutPlansNothingMore) {
  const std::string base = ::testing::TempDir() + "plan-again-" + std::to_string(::getpid());
  for (const char* fixture : {"rtx3070-mobile", "rtx4070-laptop-intel-igpu", "desktop-clean-group",
                              "gtx1660ti-laptop", "single-gpu"}) {
    for (const BootEntryMode mode : {BootEntryMode::kSeparate, BootEntryMode::kDefault}) {
      const std::string root = base + "/" + fixture;
      std::filesystem::remove_all(root);
      std::filesystem::create_directories(root);
      std::filesystem::copy(
          machine_fixture(fixture), root,
          std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
      PlanOptions options;
      options.boot_entry = mode;
      options.force = true;
      auto first = plan_on(root, options);
      ASSERT_TRUE(first) << fixture;
      ASSERT_FALSE(first->plan.files.empty()) << fixture;
      ASSERT_TRUE(write_plan_files(first->plan, root)) << fixture;
      auto second = plan_on(root, options);
      ASSERT_TRUE(second) << fixture;
      std::vector<std::string> again;
      for (const PlannedFile& f : second->plan.files) again.push_back(f.path);
      EXPECT_TRUE(again.empty()) << fixture << " plans again: " << again.front();
    }
  }
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace periscope::setup
