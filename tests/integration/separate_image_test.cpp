// The separate boot entry's own initramfs, for real: the kernel hook and the initramfs-tools
// hook that `periscope setup plan` writes build an image with this machine's kernel, and the
// images boot under QEMU with an emulated IOMMU and an HDA controller (the driver a GPU's
// audio function meets first, snd_hda_intel, is in both images). With the plan's command
// line, the separate image hands the controller to vfio-pci; the distribution's image, built
// with the same hook in place, is unchanged and lets snd_hda_intel take it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "process_helpers.hpp"
#include "vm/qemu_vm.hpp"

namespace periscope {
namespace {

namespace fs = std::filesystem;
using testing::bin;
using testing::read_file;

constexpr auto kBuildBound = std::chrono::seconds(120);
constexpr auto kBootBound = std::chrono::seconds(240);
// QEMU's ich9-intel-hda.
constexpr const char* kHdaIds = "8086:293e";

fs::path fixture(const std::string& name) {
  return fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "machines" / name;
}

// The newest kernel in /boot whose modules are installed (mkinitramfs needs both).
std::string host_kernel_release() {
  std::vector<std::string> releases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/boot", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("vmlinuz-", 0) != 0) continue;
    const std::string release = name.substr(8);
    if (fs::is_directory("/lib/modules/" + release + "/kernel", ec)) releases.push_back(release);
  }
  std::sort(releases.begin(), releases.end());
  return releases.empty() ? std::string() : releases.back();
}

// Boots `image` to the initramfs shell (break=premount), lists each PCI device's driver and
// powers off. The guest's serial console is the returned text.
const char* kBootScript = R"sh(
image="$1"; log="$2"; kernel="$3"; cmdline="$4"
{
  i=0
  until grep -q -e '(initramfs)' -e 'reboot:' "$log" 2>/dev/null; do
    sleep 0.5; i=$((i + 1)); [ "$i" -lt 400 ] || exit 0
  done
  printf '%s\n' 'for d in /sys/bus/pci/devices/*; do echo "DEV $(cat $d/vendor):$(cat $d/device) $(basename "$(readlink $d/driver)")"; done; poweroff -f'
  i=0
  until grep -q 'reboot:' "$log" 2>/dev/null; do
    sleep 0.5; i=$((i + 1)); [ "$i" -lt 120 ] || exit 0
  done
} | qemu-system-x86_64 -machine q35,kernel-irqchip=split -accel tcg -m 512 -nodefaults \
    -display none -serial stdio -monitor none -no-reboot \
    -device intel-iommu,intremap=on -device ich9-intel-hda \
    -kernel "$kernel" -initrd "$image" -append "$cmdline" >"$log" 2>&1
)sh";

std::string driver_of(const std::string& console, const std::string& ids) {
  // "DEV 0x8086:0x293e vfio-pci"
  const std::string vendor = "0x" + ids.substr(0, 4);
  const std::string device = "0x" + ids.substr(5);
  const std::string key = "DEV " + vendor + ":" + device + " ";
  for (std::size_t at = console.find(key); at != std::string::npos;
       at = console.find(key, at + 1)) {
    // Skip the echo of the command itself.
    const std::size_t end = console.find_first_of("\r\n", at);
    const std::string driver = console.substr(at + key.size(), end - at - key.size());
    if (driver.find('$') == std::string::npos) return driver;
  }
  return "(not listed)";
}

class SeparateImage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/sbin/mkinitramfs", X_OK) != 0) {
      GTEST_SKIP() << "mkinitramfs (initramfs-tools) is not installed";
    }
    if (vm::find_program("qemu-system-x86_64").empty()) GTEST_SKIP() << "QEMU is not installed";
    release_ = host_kernel_release();
    if (release_.empty()) GTEST_SKIP() << "no kernel with its modules in /boot";
    dir_ = fs::temp_directory_path() / ("periscope-separate-image-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // mkinitramfs with a private configuration directory: this machine's initramfs.conf made
  // small (MODULES=list: only what `modules` names, plus what hooks add) and fast.
  fs::path make_confdir(const std::string& name, const std::string& hook) {
    const fs::path conf = dir_ / name;
    fs::create_directories(conf / "hooks");
    fs::create_directories(conf / "scripts");
    std::string initramfs_conf = read_file("/etc/initramfs-tools/initramfs.conf");
    if (initramfs_conf.empty()) initramfs_conf = "BUSYBOX=auto\nCOMPRESS=zstd\n";
    std::ofstream(conf / "initramfs.conf") << initramfs_conf << "\nMODULES=list\n";
    std::ofstream(conf / "modules") << "snd_hda_intel\n";
    if (!hook.empty()) {
      std::ofstream(conf / "hooks" / "periscope-vfio") << hook;
      fs::permissions(conf / "hooks" / "periscope-vfio", fs::perms(0755));
    }
    return conf;
  }

  std::string build(const fs::path& conf, const std::string& out, bool separate) {
    std::vector<std::string> argv{"/usr/bin/env"};
    if (separate) argv.emplace_back("PERISCOPE_VFIO_IMAGE=1");
    for (const std::string& word :
         {std::string("/usr/sbin/mkinitramfs"), std::string("-d"), conf.string(), std::string("-o"),
          (dir_ / out).string(), release_}) {
      argv.push_back(word);
    }
    const auto r = testing::run(argv, kBuildBound);
    EXPECT_EQ(r.status, 0) << r.output;
    return (dir_ / out).string();
  }

  std::string listing(const std::string& image) {
    const auto r = testing::run({"/usr/bin/lsinitramfs", image}, kBuildBound);
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output;
  }

  fs::path dir_;
  std::string release_;
};

TEST_F(SeparateImage, BindsTheDeviceOnlyInTheSeparateEntryAndLeavesTheDistributionImageAlone) {
  // The plan for a Debian machine, written out as files.
  const fs::path root = dir_ / "root";
  fs::copy(fixture("desktop-clean-group"), root,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const fs::path out = dir_ / "out";
  const auto planned = testing::run({bin("periscope"), "setup", "plan", "--root", root.string(),
                                     "--out", out.string(), "--user", "tester"},
                                    kBuildBound);
  ASSERT_EQ(planned.status, 0) << planned.output;
  const std::string hook = read_file((out / "etc/initramfs-tools/hooks/periscope-vfio").string());
  ASSERT_NE(hook.find("softdep snd_hda_intel pre: vfio-pci"), std::string::npos) << hook;

  const fs::path with_hook = make_confdir("conf", hook);
  const fs::path without_hook = make_confdir("conf-plain", "");
  // The separate image comes from the plan's kernel hook, as after a kernel update (strict, as
  // apply runs it); mkinitramfs is pointed at the private configuration by a wrapper on PATH.
  fs::create_directories(dir_ / "bin");
  fs::create_directories(dir_ / "boot");
  std::ofstream(dir_ / "bin" / "mkinitramfs")
      << "#!/bin/sh\nexec /usr/sbin/mkinitramfs -d " << with_hook.string() << " \"$@\"\n";
  fs::permissions(dir_ / "bin" / "mkinitramfs", fs::perms(0755));
  const auto hooked = testing::run(
      {"/usr/bin/env", "PATH=" + (dir_ / "bin").string() + ":/usr/sbin:/usr/bin:/sbin:/bin",
       "PERISCOPE_BOOT_DIR=" + (dir_ / "boot").string(), "PERISCOPE_VFIO_STRICT=1", "/bin/sh",
       (out / "etc/kernel/postinst.d/periscope-vfio").string(), release_,
       "/boot/vmlinuz-" + release_},
      kBuildBound);
  ASSERT_EQ(hooked.status, 0) << hooked.output;
  const std::string separate =
      (dir_ / "boot" / ("periscope-vfio-initrd-" + release_ + ".img")).string();
  ASSERT_TRUE(fs::exists(separate)) << hooked.output;
  const std::string distro = build(with_hook, "distro.img", false);
  const std::string untouched = build(without_hook, "untouched.img", false);

  // The hook does nothing for the distribution's image: the same files as without it.
  EXPECT_EQ(listing(distro), listing(untouched));
  const std::string files = listing(separate);
  EXPECT_NE(files.find("vfio-pci.ko"), std::string::npos) << files;
  EXPECT_NE(files.find("etc/modprobe.d/periscope-vfio.conf"), std::string::npos) << files;

  // Both boot with the separate entry's command line (the ids), in parallel.
  const std::string cmdline = std::string("console=ttyS0 intel_iommu=on iommu=pt vfio-pci.ids=") +
                              kHdaIds + " break=premount";
  const std::string kernel = "/boot/vmlinuz-" + release_;
  const std::string separate_log = (dir_ / "separate.log").string();
  const std::string distro_log = (dir_ / "distro.log").string();
  auto first = Subprocess::spawn(
      {"/bin/sh", "-c", kBootScript, "boot", separate, separate_log, kernel, cmdline},
      (dir_ / "separate.out").string(), (dir_ / "separate.out").string());
  auto second =
      Subprocess::spawn({"/bin/sh", "-c", kBootScript, "boot", distro, distro_log, kernel, cmdline},
                        (dir_ / "distro.out").string(), (dir_ / "distro.out").string());
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->wait_for(kBootBound).has_value()) << "the separate image did not boot";
  EXPECT_TRUE(second->wait_for(kBootBound).has_value()) << "the distribution image did not boot";

  const std::string separate_console = read_file(separate_log);
  const std::string distro_console = read_file(distro_log);
  EXPECT_EQ(driver_of(separate_console, kHdaIds), "vfio-pci") << separate_console;
  EXPECT_EQ(driver_of(distro_console, kHdaIds), "snd_hda_intel") << distro_console;
}

}  // namespace
}  // namespace periscope
