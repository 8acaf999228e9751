// The kernel hook scripts run by /bin/sh on a stand-in /boot (PERISCOPE_BOOT_DIR) with the
// image builders stubbed on PATH: one image per kernel for GRUB, or fixed names that follow the
// newest kernel for a copied loader entry; failures only warn unless apply runs them strict.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "setup/setup_generators.hpp"

namespace periscope::setup {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::stringstream out;
  out << std::ifstream(path).rdbuf();
  return out.str();
}

class KernelHook : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("kernel-hook-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "boot");
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "etc");
    gpu_.description = "0000:01:00.0 (NVIDIA 10de:2504, VGA controller)";
    gpu_.host_drivers = {"nouveau", "snd_hda_intel"};
    // Stand-ins that write "<tool> <release>" as the image (or fail when told to).
    stub("mkinitramfs",
         "[ \"$PERISCOPE_VFIO_IMAGE\" = 1 ] || exit 9\n"
         "[ -e \"$STUB_FAIL\" ] && { echo partial >\"$2\"; exit 1; }\n"
         "echo \"mkinitramfs $3\" >\"$2\"\n");
    stub("dracut",
         "[ -e \"$STUB_FAIL\" ] && exit 1\n"
         "[ \"$3\" = 'vfio vfio_iommu_type1 vfio_pci' ] || exit 8\n"
         "echo \"dracut $5\" >\"$4\"\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void stub(const std::string& name, const std::string& body) {
    std::ofstream(dir_ / "bin" / name) << "#!/bin/sh\n" << body;
    fs::permissions(dir_ / "bin" / name, fs::perms(0755));
  }
  void kernel(const std::string& release) {
    std::ofstream(dir_ / "boot" / ("vmlinuz-" + release)) << "kernel " << release << "\n";
  }
  // Writes the hook files under dir_/etc (by their names) and returns the main script.
  fs::path install(const KernelHookChoices& choices) {
    fs::path main;
    for (const PlannedFile& file : generate_kernel_hooks(choices, gpu_)) {
      // postinst.d/periscope-vfio and postrm.d/periscope-vfio: keep the folder in the name.
      const fs::path target(file.path);
      const fs::path path =
          dir_ / "etc" /
          (target.parent_path().filename().string() + "-" + target.filename().string());
      std::ofstream(path) << file.content;
      fs::permissions(path, fs::perms(file.mode));
      if (main.empty()) main = path;
    }
    return main;
  }
  // Runs a script with the stand-in /boot; returns its exit status.
  int run(const fs::path& script, const std::string& args, bool strict = false) {
    const std::string command = "PATH=" + (dir_ / "bin").string() +
                                ":$PATH PERISCOPE_BOOT_DIR=" + (dir_ / "boot").string() +
                                " STUB_FAIL=" + (dir_ / "fail").string() +
                                (strict ? " PERISCOPE_VFIO_STRICT=1" : "") + " sh " +
                                script.string() + " " + args + " 2>>" + (dir_ / "log").string();
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string boot_files() {
    std::string names;
    for (const auto& entry : fs::directory_iterator(dir_ / "boot")) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("periscope-vfio", 0) == 0) names += name + " ";
    }
    return names;
  }

  fs::path dir_;
  GpuBinding gpu_;
};

TEST_F(KernelHook, PerKernelImagesForGrub) {
  kernel("6.1.0-18-amd64");
  const fs::path script = install({InitramfsTool::kInitramfsTools, false, false});
  EXPECT_EQ(run(script, "6.1.0-18-amd64 /boot/vmlinuz-6.1.0-18-amd64"), 0);
  EXPECT_EQ(slurp(dir_ / "boot/periscope-vfio-initrd-6.1.0-18-amd64.img"),
            "mkinitramfs 6.1.0-18-amd64\n");
  // postrm.d hands over to the main script by its absolute path; here, call it as it would.
  EXPECT_EQ(run(script, "--remove 6.1.0-18-amd64"), 0);
  EXPECT_EQ(boot_files(), "");
}

TEST_F(KernelHook, AFailedBuildOnlyWarnsFromThePackageManagerButFailsApply) {
  kernel("6.1.0-18-amd64");
  const fs::path script = install({InitramfsTool::kInitramfsTools, false, false});
  std::ofstream(dir_ / "fail") << "";
  EXPECT_EQ(run(script, "6.1.0-18-amd64"), 0);
  EXPECT_EQ(boot_files(), "") << "no image, and no half-built one";
  EXPECT_NE(slurp(dir_ / "log").find("WARNING: could not build"), std::string::npos);
  EXPECT_EQ(run(script, "6.1.0-18-amd64", true), 1);
  EXPECT_EQ(boot_files(), "");
}

TEST_F(KernelHook, TrackedEntryFollowsTheNewestKernel) {
  kernel("6.6.8-200.fc39.x86_64");
  kernel("6.7.1-100.fc39.x86_64");
  const fs::path plugin = install({InitramfsTool::kDracut, true, true});
  ASSERT_EQ(plugin.filename(), "install.d-90-periscope-vfio.install");
  const auto tracked = [&] {
    return slurp(dir_ / "boot/periscope-vfio-release") + "|" +
           slurp(dir_ / "boot/periscope-vfio-vmlinuz") + "|" +
           slurp(dir_ / "boot/periscope-vfio-initrd.img");
  };
  const std::string boot = (dir_ / "boot").string();
  EXPECT_EQ(run(plugin,
                "add 6.6.8-200.fc39.x86_64 /boot " + boot + "/vmlinuz-6.6.8-200.fc39.x86_64", true),
            0);
  EXPECT_EQ(
      tracked(),
      "6.6.8-200.fc39.x86_64\n|kernel 6.6.8-200.fc39.x86_64\n|dracut 6.6.8-200.fc39.x86_64\n");
  EXPECT_EQ(
      run(plugin, "add 6.7.1-100.fc39.x86_64 /boot " + boot + "/vmlinuz-6.7.1-100.fc39.x86_64"), 0);
  EXPECT_EQ(
      tracked(),
      "6.7.1-100.fc39.x86_64\n|kernel 6.7.1-100.fc39.x86_64\n|dracut 6.7.1-100.fc39.x86_64\n");
  // An older kernel installed later (a second kernel line) changes nothing.
  kernel("6.6.9-200.fc39.x86_64");
  EXPECT_EQ(
      run(plugin, "add 6.6.9-200.fc39.x86_64 /boot " + boot + "/vmlinuz-6.6.9-200.fc39.x86_64"), 0);
  EXPECT_EQ(
      tracked(),
      "6.7.1-100.fc39.x86_64\n|kernel 6.7.1-100.fc39.x86_64\n|dracut 6.7.1-100.fc39.x86_64\n");
  // Removing the tracked kernel (its vmlinuz already gone) moves to the newest one left.
  fs::remove(dir_ / "boot/vmlinuz-6.7.1-100.fc39.x86_64");
  EXPECT_EQ(run(plugin, "remove 6.7.1-100.fc39.x86_64"), 0);
  EXPECT_EQ(
      tracked(),
      "6.6.9-200.fc39.x86_64\n|kernel 6.6.9-200.fc39.x86_64\n|dracut 6.6.9-200.fc39.x86_64\n");
  // Removing another kernel changes nothing; removing the last one removes everything.
  EXPECT_EQ(run(plugin, "remove 6.6.8-200.fc39.x86_64"), 0);
  fs::remove(dir_ / "boot/vmlinuz-6.6.8-200.fc39.x86_64");
  fs::remove(dir_ / "boot/vmlinuz-6.6.9-200.fc39.x86_64");
  EXPECT_EQ(run(plugin, "remove 6.6.9-200.fc39.x86_64"), 0);
  EXPECT_EQ(boot_files(), "");
}

}  // namespace
}  // namespace periscope::setup
