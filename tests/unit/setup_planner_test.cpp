// `setup plan` on the captured machines: the whole plan of several fixtures as golden text
// (tests/golden/setup/<fixture>/), the refusals (only GPU, boot GPU, shared IOMMU group) and
// what --force turns them into, and that a plan written onto the machine plans nothing more.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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
    {"desktop-clean-group", "plan-default", BootEntryMode::kDefault, ShmKind::kShmFile, "2560x1440"},
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

TEST(SetupPlan, SeparateEntryLeavesTheDefaultEntryAlone) {
  const PlanOutcome grub = plan_fixture("rtx3070-mobile");
  EXPECT_EQ(file_of(grub, "/etc/default/grub"), nullptr);
  const PlannedFile* entry = file_of(grub, "/etc/grub.d/11_periscope-vfio");
  ASSERT_NE(entry, nullptr);
  // Intel: the IOMMU args are already configured, so only the binding is added.
  EXPECT_NE(entry->content.find("periscope_args='vfio-pci.ids=10de:249d,10de:228b'"),
            std::string::npos);
  // The modprobe file binds nothing by itself: the ids live on the separate entry.
  const PlannedFile* modprobe = file_of(grub, "/etc/modprobe.d/periscope-vfio.conf");
  ASSERT_NE(modprobe, nullptr);
  EXPECT_EQ(modprobe->content.find("options vfio-pci ids="), std::string::npos);
  EXPECT_EQ(argvs(grub),
            (std::vector<std::vector<std::string>>{
                {"mkinitcpio", "-P"},
                {"grub-mkconfig", "-o", "/boot/grub/grub.cfg"},
                {"systemd-tmpfiles", "--create", "/etc/tmpfiles.d/10-looking-glass.conf"}}));

  const PlanOutcome uki = plan_fixture("rtx4070-laptop-intel-igpu");
  EXPECT_EQ(file_of(uki, "/etc/kernel/cmdline"), nullptr);
  ASSERT_NE(file_of(uki, "/boot/loader/entries/periscope-vfio.conf"), nullptr);
}

TEST(SetupPlan, NoVfioVirqfdFrom62) {
  // rtx4070's mkinitcpio.conf lists vfio_virqfd on 6.7: the plan takes it out.
  const PlanOutcome outcome = plan_fixture("rtx4070-laptop-intel-igpu");
  const PlannedFile* conf = file_of(outcome, "/etc/mkinitcpio.conf");
  ASSERT_NE(conf, nullptr);
  EXPECT_EQ(conf->content.find("vfio_virqfd"), std::string::npos);
  // The GTX 1660 Ti laptop runs 6.0, where vfio_virqfd still exists: its list stays.
  const PlanOutcome old = plan_fixture("gtx1660ti-laptop");
  EXPECT_EQ(file_of(old, "/etc/mkinitcpio.conf"), nullptr);
  EXPECT_NE(std::find(old.unchanged.begin(), old.unchanged.end(), "/etc/mkinitcpio.conf"),
            old.unchanged.end());
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
  // Fedora: dracut with a drop-in that keeps the .conf suffix.
  EXPECT_NE(file_of(outcome, "/etc/dracut.conf.d/10-periscope-vfio.conf"), nullptr);
  expect_golden("single-gpu/plan-forced.txt", plan_text(outcome));
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
