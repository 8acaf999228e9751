// `periscope doctor` on the captured machines of tests/fixtures/machines: each fixture's
// verdict and the checks that make it (see that folder's README for where each comes from).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "setup/doctor.hpp"
#include "setup/machine_reader_fs.hpp"

namespace periscope::setup {
namespace {

// __FILE__ is <source>/tests/unit/doctor_test.cpp.
std::string fixture(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / "machines" /
          name)
      .string();
}

DoctorReport doctor_on(const std::string& name) {
  auto reader = FsMachineReader::open(fixture(name));
  EXPECT_TRUE(reader) << name;
  if (!reader) return {};
  return run_doctor(*reader);
}

// The check with that id (a failed expectation, and an empty check, when there is none).
Check check_of(const DoctorReport& report, std::string_view id) {
  const Check* check = report.find(id);
  EXPECT_NE(check, nullptr) << "no check " << id;
  return check != nullptr ? *check : Check{};
}

CheckStatus status_of(const DoctorReport& report, std::string_view id) {
  return check_of(report, id).status;
}

bool says(const DoctorReport& report, std::string_view id, std::string_view text) {
  const Check check = check_of(report, id);
  return check.message.find(text) != std::string::npos;
}

#define EXPECT_SAYS(report, id, text) \
  EXPECT_TRUE(says(report, id, text)) << id << ": " << check_of(report, id).message

const char* const kFixtures[] = {
    "rtx2060-mobile",   "rtx3070-mobile",      "rtx4070-laptop-intel-igpu",
    "gtx1660ti-laptop", "desktop-clean-group", "desktop-dirty-group",
    "iommu-off",        "single-gpu"};

TEST(DoctorFixture, EveryCheckHasAnIdAMessageAndEveryProblemAFix) {
  for (const char* name : kFixtures) {
    const DoctorReport report = doctor_on(name);
    EXPECT_GE(report.checks.size(), 30U) << name;
    std::set<std::string> ids;
    for (const Check& check : report.checks) {
      EXPECT_TRUE(ids.insert(check.id).second) << name << ": duplicate id " << check.id;
      EXPECT_FALSE(check.message.empty()) << name << ": " << check.id;
      if (check.status == CheckStatus::kWarn || check.status == CheckStatus::kFail) {
        EXPECT_FALSE(check.fix.empty()) << name << ": " << check.id << " has no fix";
      }
    }
    EXPECT_FALSE(report.verdict.reason.empty()) << name;
    // A GPU is named exactly when one was picked; "yes" always names it.
    if (report.verdict.can_passthrough) {
      EXPECT_TRUE(report.verdict.gpu) << name;
    }
  }
}

TEST(DoctorFixture, Rtx2060MobilePassesAllFourFunctionsOfItsGroup) {
  const DoctorReport r = doctor_on("rtx2060-mobile");
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  EXPECT_EQ(r.verdict.gpu, "0000:01:00.0");
  EXPECT_EQ(status_of(r, "gpu.iommu_group"), CheckStatus::kOk);
  EXPECT_SAYS(r, "gpu.iommu_group", "IOMMU group 10");
  EXPECT_SAYS(r, "gpu.iommu_group", "0000:01:00.3");
  EXPECT_SAYS(r, "gpu.functions", "4 function(s)");
  EXPECT_SAYS(r, "gpu.functions", "USB controller [10de:1ada]");
  EXPECT_EQ(status_of(r, "iommu.firmware"), CheckStatus::kOk);
  EXPECT_SAYS(r, "iommu.firmware", "IVRS");
  EXPECT_EQ(status_of(r, "cpu.virtualization"), CheckStatus::kOk);
  EXPECT_SAYS(r, "cpu.virtualization", "AMD-V (svm)");
  EXPECT_SAYS(r, "cpu.topology", "16 threads on 8 cores (SMT)");
  // Guide 002's GRUB line: allow_unsafe_interrupts and amd_iommu=on get a word each.
  EXPECT_EQ(status_of(r, "cmdline.args"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "cmdline.args", "allow_unsafe_interrupts");
  EXPECT_SAYS(r, "cmdline.args", "amd_iommu=on");
  EXPECT_EQ(status_of(r, "cmdline.configured"), CheckStatus::kOk);
  // Ubuntu builds vfio-pci in: the ids on the command line are enough, no initramfs needed.
  EXPECT_EQ(status_of(r, "initramfs.vfio"), CheckStatus::kOk);
  EXPECT_SAYS(r, "initramfs.vfio", "built into this kernel");
  EXPECT_EQ(status_of(r, "vfio.ids"), CheckStatus::kOk);
  EXPECT_EQ(status_of(r, "vfio.modules"), CheckStatus::kOk);
  EXPECT_EQ(status_of(r, "gpu.driver"), CheckStatus::kOk);
  EXPECT_EQ(status_of(r, "gpu.power_state"), CheckStatus::kWarn);
  EXPECT_EQ(status_of(r, "kvm.msrs"), CheckStatus::kOk);
  EXPECT_SAYS(r, "laptop.topology", "possibly MUXed");
  EXPECT_NE(r.verdict.reason.find("0000:06:00.0"), std::string::npos) << r.verdict.reason;
}

TEST(DoctorFixture, Rtx3070MobileBeforeSetupIsLikelyMuxed) {
  const DoctorReport r = doctor_on("rtx3070-mobile");
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  EXPECT_EQ(r.verdict.gpu, "0000:01:00.0");
  // The root port shares the group; bridges do not make it dirty.
  EXPECT_EQ(status_of(r, "gpu.iommu_group"), CheckStatus::kOk);
  EXPECT_SAYS(r, "gpu.iommu_group", "PCI bridge(s) 0000:00:01.0");
  EXPECT_EQ(status_of(r, "laptop.topology"), CheckStatus::kOk);
  EXPECT_SAYS(r, "laptop.topology", "likely MUXed");
  EXPECT_SAYS(r, "laptop.topology", "HDMI-A-1");
  EXPECT_SAYS(r, "laptop.topology", "not from the schematics");
  EXPECT_NE(r.verdict.reason.find("likely MUXed"), std::string::npos) << r.verdict.reason;
  // Not set up yet: nvidia holds it, vfio is not loaded nor in the initramfs.
  EXPECT_EQ(status_of(r, "gpu.driver"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "gpu.driver", "nvidia");
  EXPECT_EQ(status_of(r, "gpu.group_viable"), CheckStatus::kWarn);
  EXPECT_EQ(status_of(r, "vfio.modules"), CheckStatus::kWarn);
  EXPECT_EQ(status_of(r, "initramfs.vfio"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "initramfs.tool", "mkinitcpio");
  EXPECT_EQ(status_of(r, "vfio.ids"), CheckStatus::kNotApplicable);
  EXPECT_SAYS(r, "iommu.mode", "iommu=pt:");
  EXPECT_SAYS(r, "cpu.topology", "16 threads on 8 cores (SMT)");
}

TEST(DoctorFixture, Rtx4070LaptopHasHybridCoresAndAStaleVirqfd) {
  const DoctorReport r = doctor_on("rtx4070-laptop-intel-igpu");
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  EXPECT_EQ(r.verdict.gpu, "0000:01:00.0");
  EXPECT_SAYS(r, "cpu.topology", "32 threads on 24 cores (SMT)");
  EXPECT_SAYS(r, "cpu.topology",
              "hybrid: performance cores on CPUs 0-15, efficiency cores on CPUs 16-31");
  // Guide 004's mkinitcpio MODULES still lists vfio_virqfd on a 6.7 kernel.
  EXPECT_EQ(status_of(r, "initramfs.vfio_virqfd"), CheckStatus::kFail);
  EXPECT_SAYS(r, "initramfs.vfio_virqfd", "/etc/mkinitcpio.conf");
  EXPECT_NE(check_of(r, "initramfs.vfio_virqfd").fix.find("mkinitcpio -P"), std::string::npos);
  EXPECT_NE(r.verdict.reason.find("Fix first: initramfs.vfio_virqfd"), std::string::npos)
      << r.verdict.reason;
  // systemd-boot + UKI: /etc/kernel/cmdline is what booted.
  EXPECT_EQ(status_of(r, "cmdline.configured"), CheckStatus::kOk);
  EXPECT_SAYS(r, "cmdline.configured", "/etc/kernel/cmdline");
  EXPECT_EQ(status_of(r, "vfio.ids"), CheckStatus::kOk);
  EXPECT_SAYS(r, "vfio.ids", "/proc/cmdline");
  EXPECT_EQ(status_of(r, "gpu.driver"), CheckStatus::kOk);
  EXPECT_EQ(status_of(r, "kvm.msrs"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "vm.definitions", "win10-gpu");
  EXPECT_SAYS(r, "virt.ovmf", "/usr/share/edk2/x64/OVMF_CODE.4m.fd");
}

TEST(DoctorFixture, Rtx4070LaptopTopologyFactsArePAndECores) {
  auto reader = FsMachineReader::open(fixture("rtx4070-laptop-intel-igpu"));
  ASSERT_TRUE(reader);
  auto topology = read_cpu_topology(*reader);
  ASSERT_TRUE(topology) << topology.error().message;
  ASSERT_EQ(topology->threads.size(), 32U);
  EXPECT_TRUE(topology->hybrid());
  ASSERT_EQ(topology->performance_cpus.size(), 16U);
  ASSERT_EQ(topology->efficiency_cpus.size(), 16U);
  EXPECT_EQ(topology->performance_cpus.back(), 15);
  EXPECT_EQ(topology->efficiency_cpus.front(), 16);
  EXPECT_EQ(topology->threads[0].siblings, (std::vector<int>{0, 1}));
  EXPECT_EQ(topology->threads[17].siblings, (std::vector<int>{17}));
  EXPECT_EQ(topology->threads[2].core, 4);
}

TEST(DoctorFixture, Gtx1660TiLaptopCatchesTheGuidesVfioMistakes) {
  const DoctorReport r = doctor_on("gtx1660ti-laptop");
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  EXPECT_EQ(r.verdict.gpu, "0000:01:00.0");
  EXPECT_EQ(status_of(r, "gpu.iommu_group"), CheckStatus::kOk);
  EXPECT_SAYS(r, "gpu.iommu_group", "0000:00:01.0");
  // ids=8086:1901,...,10de:1aec.10de:1aed: a bridge id, and a typo that drops the UCSI function.
  EXPECT_EQ(status_of(r, "vfio.ids"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "vfio.ids", "\"10de:1aec.10de:1aed\" is malformed; the kernel reads 10de:1aec");
  EXPECT_SAYS(r, "vfio.ids", "8086:1901 is the PCI bridge 0000:00:01.0");
  EXPECT_SAYS(r, "vfio.ids", "0000:01:00.3 [10de:1aed] is not in the ids");
  EXPECT_EQ(status_of(r, "gpu.group_viable"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "gpu.group_viable", "0000:01:00.3 (nvidia-gpu)");
  // "iommu=on,iommu=pt" is one argument the kernel does not understand.
  EXPECT_EQ(status_of(r, "cmdline.args"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "cmdline.args", "\"on\"");
  EXPECT_SAYS(r, "iommu.mode", "iommu=pt is not set");
  EXPECT_SAYS(r, "iommu.kernel", "turns it on by default");
  // Guide 003's decimal subsystem ids for qemu:override.
  EXPECT_SAYS(r, "gpu.subsystem", "x-pci-sub-vendor-id=5464 x-pci-sub-device-id=34128");
  // A 6.0 kernel still has vfio_virqfd.
  EXPECT_EQ(status_of(r, "initramfs.vfio_virqfd"), CheckStatus::kOk);
}

TEST(DoctorFixture, DesktopCleanGroupPicksTheSecondGpu) {
  const DoctorReport r = doctor_on("desktop-clean-group");
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  EXPECT_EQ(r.verdict.gpu, "0000:0b:00.0");
  EXPECT_EQ(status_of(r, "gpu.iommu_group"), CheckStatus::kOk);
  EXPECT_SAYS(r, "gpu.iommu_group", "IOMMU group 27 holds only 0000:0b:00.0's functions");
  EXPECT_SAYS(r, "gpu.host_keeps", "0000:0c:00.0");
  EXPECT_EQ(status_of(r, "gpu.boot_vga"), CheckStatus::kOk);
  EXPECT_EQ(status_of(r, "laptop.topology"), CheckStatus::kNotApplicable);
  EXPECT_EQ(r.verdict.reason.find("Laptop"), std::string::npos) << r.verdict.reason;
  EXPECT_SAYS(r, "cpu.topology", "16 threads on 8 cores (SMT)");
  EXPECT_EQ(status_of(r, "initramfs.vfio"), CheckStatus::kWarn);
  EXPECT_NE(check_of(r, "initramfs.vfio").fix.find("update-initramfs -u -k all"),
            std::string::npos);
}

TEST(DoctorFixture, DesktopDirtyGroupIsRefusedWithTheFix) {
  const DoctorReport r = doctor_on("desktop-dirty-group");
  EXPECT_FALSE(r.verdict.can_passthrough);
  EXPECT_FALSE(r.verdict.gpu);
  EXPECT_NE(r.verdict.reason.find("REFUSED"), std::string::npos) << r.verdict.reason;
  EXPECT_NE(r.verdict.reason.find("the boot GPU 0000:0a:00.0 is not picked"), std::string::npos)
      << r.verdict.reason;
  EXPECT_EQ(status_of(r, "gpu.iommu_group"), CheckStatus::kFail);
  EXPECT_SAYS(r, "gpu.iommu_group", "0000:03:00.0");
  EXPECT_SAYS(r, "gpu.iommu_group", "0000:03:00.1");
  EXPECT_SAYS(r, "gpu.iommu_group", "0000:06:00.0");
  // The chipset's bridges are not counted against the group.
  EXPECT_FALSE(says(r, "gpu.iommu_group", "0000:04:01.0"));
  const Check group = check_of(r, "gpu.iommu_group");
  EXPECT_NE(group.fix.find("ACS"), std::string::npos) << group.fix;
  EXPECT_NE(group.fix.find("slot"), std::string::npos) << group.fix;
}

TEST(DoctorFixture, IommuOffNamesTheGpuButNotYet) {
  const DoctorReport r = doctor_on("iommu-off");
  EXPECT_FALSE(r.verdict.can_passthrough);
  EXPECT_EQ(r.verdict.gpu, "0000:01:00.0");
  EXPECT_NE(r.verdict.reason.find("Not yet"), std::string::npos) << r.verdict.reason;
  EXPECT_EQ(status_of(r, "iommu.firmware"), CheckStatus::kOk);
  EXPECT_EQ(status_of(r, "iommu.kernel"), CheckStatus::kFail);
  // intel_iommu=on sits in /etc/default/grub but grub.cfg was never regenerated.
  EXPECT_SAYS(r, "iommu.kernel", "/etc/default/grub asks for intel_iommu=on");
  EXPECT_NE(check_of(r, "iommu.kernel").fix.find("update-grub"), std::string::npos);
  EXPECT_EQ(status_of(r, "cmdline.configured"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "cmdline.configured", "intel_iommu=on iommu=pt");
  EXPECT_EQ(status_of(r, "gpu.iommu_group"), CheckStatus::kNotApplicable);
  EXPECT_EQ(status_of(r, "iommu.mode"), CheckStatus::kNotApplicable);
  EXPECT_SAYS(r, "cpu.topology", "8 threads on 8 cores (no SMT)");
}

TEST(DoctorFixture, SingleGpuIsRefusedLoudly) {
  const DoctorReport r = doctor_on("single-gpu");
  EXPECT_FALSE(r.verdict.can_passthrough);
  EXPECT_FALSE(r.verdict.gpu);
  EXPECT_NE(r.verdict.reason.find("REFUSED"), std::string::npos) << r.verdict.reason;
  EXPECT_NE(r.verdict.reason.find("ONLY GPU"), std::string::npos) << r.verdict.reason;
  EXPECT_EQ(status_of(r, "gpu.host_keeps"), CheckStatus::kFail);
  EXPECT_EQ(status_of(r, "gpu.boot_vga"), CheckStatus::kFail);
  EXPECT_NE(check_of(r, "gpu.boot_vga").fix.find("initcall_blacklist=sysfb_init"),
            std::string::npos);
  // Fedora: dracut ignores the suffix-less drop-in; its vfio_virqfd therefore does not count.
  EXPECT_EQ(status_of(r, "initramfs.dracut_suffix"), CheckStatus::kWarn);
  EXPECT_SAYS(r, "initramfs.dracut_suffix", "/etc/dracut.conf.d/vfio");
  EXPECT_EQ(status_of(r, "initramfs.vfio_virqfd"), CheckStatus::kOk);
  EXPECT_SAYS(r, "security.mac", "SELinux is enforcing");
  EXPECT_EQ(status_of(r, "cmdline.configured"), CheckStatus::kOk);
  EXPECT_SAYS(r, "virt.qemu", "/usr/libexec/qemu-kvm");
}

}  // namespace
}  // namespace periscope::setup
