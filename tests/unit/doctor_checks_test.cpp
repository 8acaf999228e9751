// The doctor's judgements on machines made in memory: the cases the fixtures do not cover
// (MUXless laptops, shared memory, twins, a GPU off the bus) and broken input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "setup/doctor.hpp"
#include "setup/doctor_report.hpp"
#include "setup/machine_reader_memory.hpp"

namespace periscope::setup {
namespace {

struct Device {
  std::string address;
  std::string class_code;  // "0x030000"
  std::string vendor;      // "0x10de"
  std::string device;
  std::string driver;
  int group{-1};
  std::string boot_vga;  // "" for none
};

void add(MemoryMachineReader& m, const Device& d) {
  const std::string dir = "/sys/bus/pci/devices/" + d.address;
  m.file(dir + "/class", d.class_code + "\n")
      .file(dir + "/vendor", d.vendor + "\n")
      .file(dir + "/device", d.device + "\n")
      .file(dir + "/subsystem_vendor", "0x1043\n")
      .file(dir + "/subsystem_device", "0x1e21\n")
      .file(dir + "/reset_method", "bus\n")
      .file(dir + "/power_state", "D0\n");
  if (!d.boot_vga.empty()) m.file(dir + "/boot_vga", d.boot_vga + "\n");
  if (!d.driver.empty()) m.link(dir + "/driver", "../../../bus/pci/drivers/" + d.driver);
  if (d.group >= 0) {
    const std::string group = std::to_string(d.group);
    m.link(dir + "/iommu_group", "../../../../kernel/iommu_groups/" + group);
    m.link("/sys/kernel/iommu_groups/" + group + "/devices/" + d.address, "../../../../devices/x");
  }
}

// An Intel laptop with the IOMMU on, an iGPU driving the panel and an NVIDIA dGPU.
MemoryMachineReader laptop(const std::string& dgpu_class = "0x030000") {
  MemoryMachineReader m;
  m.file("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vmx\n\n")
      .file("/dev/kvm", "")
      .file("/proc/cmdline", "quiet intel_iommu=on iommu=pt\n")
      .file("/proc/sys/kernel/osrelease", "6.6.1-arch1-1\n")
      .file("/sys/firmware/acpi/tables/DMAR", "")
      .file("/sys/class/iommu/dmar0/name", "dmar0\n")
      .file("/sys/class/dmi/id/chassis_type", "10\n");
  add(m, {"0000:00:02.0", "0x030000", "0x8086", "0x9a60", "i915", 2, "1"});
  add(m, {"0000:01:00.0", dgpu_class, "0x10de", "0x249d", "vfio-pci", 1,
          dgpu_class == "0x030000" ? "0" : ""});
  add(m, {"0000:01:00.1", "0x040300", "0x10de", "0x228b", "vfio-pci", 1, ""});
  return m;
}

const Check& check_of(const DoctorReport& report, std::string_view id) {
  static const Check kNone{"none", CheckStatus::kNotApplicable, "", ""};
  const Check* check = report.find(id);
  EXPECT_NE(check, nullptr) << id;
  return check != nullptr ? *check : kNone;
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(DoctorChecks, A3dControllerLaptopIsLikelyMuxless) {
  const DoctorReport r = run_doctor(laptop("0x030200"));
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  const Check& t = check_of(r, "laptop.topology");
  EXPECT_EQ(t.status, CheckStatus::kWarn);
  EXPECT_TRUE(has(t.message, "likely MUXless")) << t.message;
  EXPECT_TRUE(has(t.message, "3D controller")) << t.message;
  EXPECT_TRUE(has(t.message, "VBIOS")) << t.message;
  EXPECT_TRUE(has(t.message, "guess")) << t.message;
  EXPECT_TRUE(has(r.verdict.reason, "likely MUXless")) << r.verdict.reason;
}

TEST(DoctorChecks, ADriverWithoutOutputsMeansMuxless) {
  MemoryMachineReader m = laptop();
  m.file("/sys/bus/pci/devices/0000:01:00.0/drm/card1/dev", "226:1\n");
  const DoctorReport r = run_doctor(m);
  EXPECT_TRUE(has(check_of(r, "laptop.topology").message, "lists no outputs"));
  m.file("/sys/bus/pci/devices/0000:01:00.0/drm/card1/card1-HDMI-A-1/status", "connected\n");
  EXPECT_TRUE(has(check_of(run_doctor(m), "laptop.topology").message, "likely MUXed"));
}

TEST(DoctorChecks, ABatteryWithoutChassisTypeIsALaptop) {
  MemoryMachineReader m = laptop();
  m.remove("/sys/class/dmi/id/chassis_type");
  EXPECT_EQ(check_of(run_doctor(m), "laptop.topology").status, CheckStatus::kNotApplicable);
  m.file("/sys/class/power_supply/BAT1/type", "Battery\n");
  EXPECT_NE(check_of(run_doctor(m), "laptop.topology").status, CheckStatus::kNotApplicable);
}

TEST(DoctorChecks, TheOnlyDiscreteGpuAsBootGpuIsRefused) {
  MemoryMachineReader m = laptop();
  m.file("/sys/bus/pci/devices/0000:00:02.0/boot_vga", "0\n")
      .file("/sys/bus/pci/devices/0000:01:00.0/boot_vga", "1\n");
  const DoctorReport r = run_doctor(m);
  EXPECT_FALSE(r.verdict.can_passthrough);
  EXPECT_FALSE(r.verdict.gpu);
  EXPECT_TRUE(has(r.verdict.reason, "BOOT GPU")) << r.verdict.reason;
  EXPECT_EQ(check_of(r, "gpu.boot_vga").status, CheckStatus::kFail);
}

TEST(DoctorChecks, ACleanGroupWinsOverADirtyOne) {
  MemoryMachineReader m = laptop();
  add(m, {"0000:05:00.0", "0x030000", "0x1002", "0x67df", "amdgpu", 5, "0"});
  add(m, {"0000:05:00.1", "0x040300", "0x1002", "0xaaf0", "snd_hda_intel", 5, ""});
  add(m, {"0000:03:00.0", "0x020000", "0x10ec", "0x8168", "r8169", 1, ""});  // dirties group 1
  const DoctorReport r = run_doctor(m);
  EXPECT_TRUE(r.verdict.can_passthrough) << r.verdict.reason;
  EXPECT_EQ(r.verdict.gpu, "0000:05:00.0");
}

TEST(DoctorChecks, AnUnreadableGroupMemberMakesTheGroupDirty) {
  MemoryMachineReader m = laptop();
  m.link("/sys/kernel/iommu_groups/1/devices/0000:09:00.0", "../../x");
  const DoctorReport r = run_doctor(m);
  EXPECT_FALSE(r.verdict.gpu);
  EXPECT_TRUE(has(check_of(r, "gpu.iommu_group").message, "0000:09:00.0 (unreadable)"));
}

TEST(DoctorChecks, TwinsAndAGpuOffTheBus) {
  MemoryMachineReader m = laptop();
  add(m, {"0000:02:00.0", "0x030000", "0x10de", "0x249d", "nvidia", 7, "0"});
  DoctorReport r = run_doctor(m);
  EXPECT_EQ(check_of(r, "gpu.ids_unique").status, CheckStatus::kWarn);
  EXPECT_TRUE(has(check_of(r, "gpu.ids_unique").fix, "driverctl"));
  m.file("/sys/bus/pci/devices/0000:01:00.0/vendor", "0xffff\n")
      .remove("/sys/bus/pci/devices/0000:02:00.0");
  r = run_doctor(m);
  EXPECT_EQ(check_of(r, "gpu.present").status, CheckStatus::kFail);
  EXPECT_FALSE(r.verdict.can_passthrough);
  EXPECT_EQ(r.verdict.gpu, "0000:01:00.0");
}

TEST(DoctorChecks, SharedMemoryFileAndKvmfrDevice) {
  MemoryMachineReader m = laptop();
  m.file("/etc/group", "kvm:x:992:user\n")
      .file("/etc/passwd", "user:x:1000:1000::/home/user:/bin/sh\n");
  PathInfo shm{FileType::kRegular, 32 * 1024 * 1024, 1000, 992, 0660};
  m.file("/dev/shm/looking-glass", "", shm);
  const DoctorReport with_file = run_doctor(m);
  const Check& good = check_of(with_file, "shm.memory");
  EXPECT_EQ(good.status, CheckStatus::kOk) << good.message;
  EXPECT_TRUE(has(good.message, "32 MiB, user:kvm 0660")) << good.message;
  shm.size = 48 * 1024 * 1024;
  m.file("/dev/shm/looking-glass", "", shm);
  EXPECT_TRUE(has(check_of(run_doctor(m), "shm.memory").message, "not a power of two"));
  shm.size = 32 * 1024 * 1024;
  shm.mode = 0666;
  m.file("/dev/shm/looking-glass", "", shm);
  EXPECT_TRUE(has(check_of(run_doctor(m), "shm.memory").message, "other users"));
  // kvmfr: a character device is right; a plain file means QEMU made it without the module.
  m.node("/dev/kvmfr0", {FileType::kCharDevice, 0, 0, 992, 0660})
      .file("/sys/module/kvmfr/parameters/static_size_mb", "64\n");
  const DoctorReport with_kvmfr = run_doctor(m);
  const Check& kvmfr = check_of(with_kvmfr, "shm.memory");
  EXPECT_EQ(kvmfr.status, CheckStatus::kOk) << kvmfr.message;
  EXPECT_TRUE(has(kvmfr.message, "64 MiB")) << kvmfr.message;
  m.file("/dev/kvmfr0", "");
  EXPECT_EQ(check_of(run_doctor(m), "shm.memory").status, CheckStatus::kFail);
  // AppArmor without the kvmfr rule.
  m.node("/dev/kvmfr0", {FileType::kCharDevice, 0, 0, 992, 0660})
      .dir("/sys/kernel/security/apparmor");
  EXPECT_EQ(check_of(run_doctor(m), "security.mac").status, CheckStatus::kWarn);
  m.file("/etc/apparmor.d/local/abstractions/libvirt-qemu", "/dev/kvmfr0 rw,\n");
  EXPECT_EQ(check_of(run_doctor(m), "security.mac").status, CheckStatus::kOk);
}

TEST(DoctorChecks, VirqfdDependsOnTheKernelVersion) {
  MemoryMachineReader m = laptop();
  m.file("/etc/mkinitcpio.conf", "MODULES=(vfio_pci vfio vfio_iommu_type1 vfio_virqfd)\n");
  EXPECT_EQ(check_of(run_doctor(m), "initramfs.vfio_virqfd").status, CheckStatus::kFail);
  m.file("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  EXPECT_EQ(check_of(run_doctor(m), "initramfs.vfio_virqfd").status, CheckStatus::kOk);
  m.file("/proc/sys/kernel/osrelease", "6.2.0\n");
  EXPECT_EQ(check_of(run_doctor(m), "initramfs.vfio_virqfd").status, CheckStatus::kFail);
  m.file("/proc/sys/kernel/osrelease", "garbage\n");
  EXPECT_EQ(check_of(run_doctor(m), "initramfs.vfio_virqfd").status, CheckStatus::kWarn);
  EXPECT_EQ(check_of(run_doctor(m), "kernel.version").status, CheckStatus::kWarn);
}

// After `setup apply` in the separate mode the distribution's configuration lists no vfio: the
// entry's own image does, which the doctor recognises (and misses when it is not built).
TEST(DoctorChecks, TheSeparateEntrysOwnImageCarriesVfio) {
  MemoryMachineReader m = laptop();
  m.file("/etc/mkinitcpio.conf", "MODULES=(i915)\nHOOKS=(base udev modconf)\n");
  m.file("/proc/sys/kernel/osrelease", "6.6.10-arch1-1\n");
  EXPECT_EQ(check_of(run_doctor(m), "initramfs.vfio").status, CheckStatus::kWarn);
  m.file("/etc/periscope/mkinitcpio-vfio.conf", "source /etc/mkinitcpio.conf\n");
  const Check missing = check_of(run_doctor(m), "initramfs.vfio");
  EXPECT_EQ(missing.status, CheckStatus::kWarn);
  EXPECT_NE(missing.message.find("/boot has none"), std::string::npos) << missing.message;
  m.file("/boot/periscope-vfio-initrd-linux.img", "");
  const Check built = check_of(run_doctor(m), "initramfs.vfio");
  EXPECT_EQ(built.status, CheckStatus::kOk);
  EXPECT_NE(built.message.find("/boot/periscope-vfio-initrd-linux.img"), std::string::npos)
      << built.message;
}

TEST(DoctorChecks, AnEmptyMachineGivesAReportNotACrash) {
  const MemoryMachineReader empty;
  const DoctorReport r = run_doctor(empty);
  EXPECT_FALSE(r.verdict.can_passthrough);
  EXPECT_FALSE(r.verdict.gpu);
  EXPECT_EQ(check_of(r, "pci.read").status, CheckStatus::kFail);
  EXPECT_EQ(check_of(r, "cpu.virtualization").status, CheckStatus::kWarn);
  EXPECT_EQ(check_of(r, "cmdline.configured").status, CheckStatus::kNotApplicable);
  EXPECT_GE(r.checks.size(), 30U);
}

TEST(DoctorChecks, GarbageEverywhereStillGivesAReport) {
  MemoryMachineReader m = laptop();
  static constexpr char kJunk[] = "\xff\xfe\x1b[31m\n\0\x01 0x 0xzz ====\"'$(rm -rf /)";
  const std::string junk(kJunk, sizeof(kJunk) - 1);  // the NUL byte included
  for (const char* path :
       {"/proc/cpuinfo", "/proc/cmdline", "/proc/sys/kernel/osrelease", "/proc/modules",
        "/sys/bus/pci/devices/0000:01:00.0/class", "/sys/bus/pci/devices/0000:01:00.0/reset_method",
        "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "/etc/default/grub",
        "/etc/mkinitcpio.conf", "/etc/modprobe.d/vfio.conf", "/etc/group",
        "/sys/module/kvm/parameters/ignore_msrs", "/sys/class/dmi/id/chassis_type"}) {
    m.file(path, junk);
  }
  m.file("/etc/libvirt/qemu/\xff\x1b.xml", "");
  const DoctorReport r = run_doctor(m);
  EXPECT_EQ(check_of(r, "pci.read").status, CheckStatus::kWarn);
  // Machine text reaches the output only as printable, valid UTF-8.
  const std::string json = report_json_text(r);
  const auto parsed = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << json;
  EXPECT_FALSE(has(json, "\x1b"));
  const std::string text = report_text(r);
  EXPECT_FALSE(has(text, "\x1b"));
  EXPECT_FALSE(has(text, "\xff"));
}

TEST(DoctorChecks, TextHasOneLinePerCheckThenTheVerdict) {
  const DoctorReport r = run_doctor(laptop());
  const std::string text = report_text(r);
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, r.checks.size() + 3);  // a blank line, the verdict, the reason
  EXPECT_TRUE(has(text, "ok    iommu.kernel")) << text;
  EXPECT_TRUE(has(text, "verdict: can pass a GPU through; gpu: 0000:01:00.0")) << text;
}

TEST(DoctorChecks, JsonHasExactlyTheDocumentedShape) {
  const nlohmann::json j = report_json(run_doctor(laptop()));
  ASSERT_EQ(j.size(), 2U);
  for (const auto& check : j.at("checks")) {
    ASSERT_EQ(check.size(), 4U) << check;
    EXPECT_TRUE(check.at("id").is_string());
    const std::string status = check.at("status");
    EXPECT_TRUE(status == "ok" || status == "warn" || status == "fail" || status == "n/a");
    EXPECT_TRUE(check.at("message").is_string());
    EXPECT_TRUE(check.at("fix").is_string());
  }
  const auto& v = j.at("verdict");
  ASSERT_EQ(v.size(), 3U);
  EXPECT_EQ(v.at("can_passthrough"), true);
  EXPECT_EQ(v.at("gpu"), "0000:01:00.0");
  EXPECT_TRUE(v.at("reason").is_string());
  MemoryMachineReader single = laptop();
  single.remove("/sys/bus/pci/devices/0000:00:02.0");
  EXPECT_TRUE(report_json(run_doctor(single)).at("verdict").at("gpu").is_null());
}

}  // namespace
}  // namespace periscope::setup
