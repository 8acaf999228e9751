// `periscope setup plan` through the real binary on the captured machines: the diffs and
// commands it prints, the files --out writes, and its exit codes (0 plan, 1 refused, 2 usage).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string fixture(const std::string& name) {
  return (fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "machines" / name).string();
}

RunResult periscope(std::vector<std::string> args) {
  args.insert(args.begin(), bin("periscope"));
  return run(args, seconds(30));
}

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("periscope-test-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(SetupPlanCommand, WritesTheProposedFilesUnderOut) {
  TempDir out("plan-out");
  const auto r = periscope(
      {"setup", "plan", "--root", fixture("rtx3070-mobile"), "--user", "user", "--out", out.str()});
  ASSERT_EQ(r.status, 0) << r.output;
  // The diffs and the commands, in order: the separate image before the menu that lists it.
  EXPECT_NE(
      r.output.find("--- a/etc/mkinitcpio.d/linux.preset\n+++ b/etc/mkinitcpio.d/linux.preset\n"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("+PRESETS+=('periscope_vfio')\n"), std::string::npos);
  EXPECT_NE(r.output.find("--- /dev/null\n+++ b/etc/grub.d/11_periscope-vfio\n"),
            std::string::npos);
  EXPECT_LT(r.output.find("1. mkinitcpio --config /etc/periscope/mkinitcpio-vfio.conf"),
            r.output.find("2. grub-mkconfig -o /boot/grub/grub.cfg"));
  EXPECT_NE(r.output.find("rollback undoes it: find /boot -maxdepth 1 -type f -name "
                          "'periscope-vfio-*' -delete\n"),
            std::string::npos)
      << r.output;
  // The files themselves, at their target paths, with their modes.
  const std::string script = out.str() + "/etc/grub.d/11_periscope-vfio";
  ASSERT_TRUE(fs::exists(script)) << r.output;
  EXPECT_EQ(fs::status(script).permissions() & fs::perms::all, fs::perms(0755));
  EXPECT_NE(read_file(out.str() + "/etc/mkinitcpio.d/linux.preset").find("ALL_kver="),
            std::string::npos);
  // Nothing the default entry boots with is among them.
  EXPECT_FALSE(fs::exists(out.str() + "/etc/mkinitcpio.conf"));
  EXPECT_FALSE(fs::exists(out.str() + "/etc/modprobe.d"));
  EXPECT_EQ(read_file(out.str() + "/etc/tmpfiles.d/10-looking-glass.conf")
                .substr(read_file(out.str() + "/etc/tmpfiles.d/10-looking-glass.conf").rfind("f ")),
            "f /dev/shm/looking-glass 0660 user kvm -\n");
  // The default entry is not among them.
  EXPECT_FALSE(fs::exists(out.str() + "/etc/default/grub"));
  // A captured tree with one ordinary account needs no --user.
  const auto implicit_user = periscope({"setup", "plan", "--root", fixture("rtx3070-mobile")});
  EXPECT_EQ(implicit_user.status, 0) << implicit_user.output;
}

TEST(SetupPlanCommand, JsonForScripts) {
  TempDir dir("plan-json");
  fs::create_directories(dir.str());
  const std::string json_path = dir.str() + "/plan.json";
  const auto r = run({"/bin/sh", "-c",
                      bin("periscope") +
                          " setup plan --json --boot-entry default --shm kvmfr "
                          "--resolution 2560x1440 --root " +
                          fixture("desktop-clean-group") + " > " + json_path},
                     seconds(30));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto json = read_json(json_path);
  EXPECT_EQ(json["refused"], false);
  EXPECT_EQ(json["gpu"]["address"], "0000:0b:00.0");
  bool kvmfr_size = false;
  for (const auto& file : json["files"]) {
    if (file["path"] == "/etc/modprobe.d/kvmfr.conf") {
      kvmfr_size =
          file["content"].get<std::string>().find("static_size_mb=64") != std::string::npos;
    }
  }
  EXPECT_TRUE(kvmfr_size) << json.dump(2);
  EXPECT_EQ(json["commands"][0]["argv"][0], "update-initramfs");
}

TEST(SetupPlanCommand, RefusalExitsOneAndSaysHowToForce) {
  TempDir out("plan-refused");
  const auto r = periscope(
      {"setup", "plan", "--root", fixture("single-gpu"), "--user", "user", "--out", out.str()});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("REFUSED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--force"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out.str()));  // nothing written for a refused plan
  const auto forced =
      periscope({"setup", "plan", "--root", fixture("single-gpu"), "--user", "user", "--force"});
  EXPECT_EQ(forced.status, 0) << forced.output;
  EXPECT_NE(forced.output.find("WARNING: FORCED (--force)"), std::string::npos) << forced.output;
}

TEST(SetupPlanCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(
      periscope({"setup", "plan", "--root", fixture("rtx3070-mobile"), "--shm", "bogus"}).status,
      2);
  EXPECT_EQ(
      periscope({"setup", "plan", "--root", fixture("rtx3070-mobile"), "--boot-entry", "x"}).status,
      2);
  const auto bad_gpu = periscope({"setup", "plan", "--root", fixture("rtx3070-mobile"), "--user",
                                  "user", "--gpu", "0000:09:00.0"});
  EXPECT_EQ(bad_gpu.status, 2) << bad_gpu.output;
  EXPECT_NE(bad_gpu.output.find("0000:00:02.0, 0000:01:00.0"), std::string::npos) << bad_gpu.output;
  const auto bad_resolution = periscope({"setup", "plan", "--root", fixture("rtx3070-mobile"),
                                         "--user", "user", "--resolution", "big"});
  EXPECT_EQ(bad_resolution.status, 2) << bad_resolution.output;
}

}  // namespace
}  // namespace periscope::testing
