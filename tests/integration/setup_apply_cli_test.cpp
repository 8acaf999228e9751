// `periscope setup apply` and `setup rollback` as a user runs them, on a copy of a captured
// machine (--root): the plan is carried out, a second apply changes nothing, rollback gives
// back the tree byte for byte, and nothing happens without a yes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "process_helpers.hpp"
#include "tree_snapshot.hpp"

namespace periscope {
namespace {

namespace fs = std::filesystem;
using testing::bin;
using testing::difference;
using testing::snapshot;
using testing::Tree;

constexpr auto kBound = std::chrono::seconds(60);

// __FILE__ is <source>/tests/integration/setup_apply_cli_test.cpp.
fs::path fixture(const std::string& name) {
  return fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "machines" / name;
}

class SetupApplyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("periscope-setup-cli-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    fs::copy(fixture("desktop-clean-group"), root_,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    // A real machine has /var/lib; the record (var/lib/periscope) is kept after rollback.
    fs::create_directories(root_ / "var/lib");
    before_ = snapshot(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  testing::RunResult periscope(std::vector<std::string> args) {
    args.insert(args.begin(), bin("periscope"));
    // stdin is not a terminal here (Subprocess gives the child /dev/null or our pipe).
    return testing::run(args, kBound);
  }

  fs::path root_;
  Tree before_;
};

TEST_F(SetupApplyCli, ApplyThenApplyAgainThenRollbackLeavesTheMachineAsItWas) {
  const auto applied = periscope({"setup", "apply", "--root", root_.string(), "--yes"});
  ASSERT_EQ(applied.status, 0) << applied.output;
  EXPECT_NE(applied.output.find("Applied."), std::string::npos) << applied.output;
  // The separate entry's own image is built; the distribution's images are not rebuilt.
  EXPECT_NE(applied.output.find("recorded (not run under --root) env PERISCOPE_VFIO_STRICT=1 "
                                "/etc/kernel/postinst.d/periscope-vfio 6.1.0-18-amd64 "
                                "/boot/vmlinuz-6.1.0-18-amd64"),
            std::string::npos)
      << applied.output;
  EXPECT_EQ(applied.output.find("update-initramfs"), std::string::npos) << applied.output;
  // The VM is defined through libvirt from a file of ours (rollback undefines it).
  EXPECT_NE(applied.output.find("recorded (not run under --root) virsh --connect qemu:///system "
                                "define /etc/periscope/domains/win11.xml"),
            std::string::npos)
      << applied.output;
  const Tree after = snapshot(root_);
  EXPECT_NE(difference(before_, after), "");
  EXPECT_TRUE(after.contains("etc/grub.d/11_periscope-vfio")) << difference(before_, after);

  // Planned again on the changed machine, the plan is smaller; applying it changes nothing.
  const auto again = periscope({"setup", "apply", "--root", root_.string(), "--yes"});
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("Nothing to do"), std::string::npos) << again.output;
  EXPECT_EQ(difference(after, snapshot(root_)), "");

  const auto rolled_back = periscope({"setup", "rollback", "--root", root_.string()});
  ASSERT_EQ(rolled_back.status, 0) << rolled_back.output;
  EXPECT_EQ(difference(before_, snapshot(root_)), "") << rolled_back.output;

  const auto nothing = periscope({"setup", "rollback", "--root", root_.string()});
  EXPECT_NE(nothing.status, 0) << "a second rollback has nothing to undo: " << nothing.output;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
}

// A new VM never replaces one libvirt already has; patching that one is the way.
TEST_F(SetupApplyCli, AVmOfTheSameNameIsNotReplaced) {
  fs::remove_all(root_);
  fs::create_directories(root_);
  fs::copy(fixture("gtx1660ti-laptop"), root_,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  before_ = snapshot(root_);
  const auto r = periscope({"setup", "apply", "--root", root_.string(), "--yes", "--vm", "win10"});
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("libvirt already has a VM named 'win10'"), std::string::npos) << r.output;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
}

TEST_F(SetupApplyCli, WithoutYesAndWithoutATerminalNothingChanges) {
  const auto r = periscope({"setup", "apply", "--root", root_.string()});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("--yes"), std::string::npos) << r.output;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
}

TEST_F(SetupApplyCli, ARefusedPlanIsNotApplied) {
  fs::remove_all(root_);
  fs::create_directories(root_);
  fs::copy(fixture("single-gpu"), root_,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  before_ = snapshot(root_);
  const auto r = periscope({"setup", "apply", "--root", root_.string(), "--yes"});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
}

// A record whose command carries an undo (hand-made here: the planner gives none yet) is
// undone first on rollback, and the output says so; under --root it is recorded, not run.
TEST_F(SetupApplyCli, RollbackRunsTheUndoOfACommandFirstAndSaysSo) {
  const auto applied = periscope({"setup", "apply", "--root", root_.string(), "--yes"});
  ASSERT_EQ(applied.status, 0) << applied.output;
  const fs::path manifest = root_ / "var/lib/periscope/setup/current/manifest.json";
  auto record = nlohmann::json::parse(testing::read_text(manifest));
  ASSERT_FALSE(record["commands"].empty());
  record["commands"][0]["undo"] = {"virsh", "undefine", "win11"};
  record["commands"][0]["undo_state"] = "pending";
  testing::write_text(manifest, record.dump(2));

  const auto rolled_back = periscope({"setup", "rollback", "--root", root_.string()});
  ASSERT_EQ(rolled_back.status, 0) << rolled_back.output;
  const auto undo =
      rolled_back.output.find("recorded undo (not run under --root) virsh undefine win11");
  EXPECT_NE(undo, std::string::npos) << rolled_back.output;
  EXPECT_LT(undo, rolled_back.output.find("restored")) << rolled_back.output;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
}

// The VM definition beside the host plan: valid for Debian's libvirt schema, with the devices
// asked for; patching that same domain (as a user's `virsh dumpxml`) changes nothing.
TEST_F(SetupApplyCli, PlanWritesAValidDomainAndPatchingItAgainChangesNothing) {
  if (::access("/usr/bin/virt-xml-validate", X_OK) != 0) {
    GTEST_SKIP() << "virt-xml-validate is not installed: run scripts/install-deps.sh";
  }
  const fs::path out = root_.string() + "-out";
  const fs::path out2 = root_.string() + "-out2";
  const std::vector<std::string> choices{"--evdev-keyboard", "/dev/input/by-id/kbd-event-kbd",
                                         "--virtiofs",       "/srv/share:share",
                                         "--memory",         "16384"};
  auto args =
      std::vector<std::string>{"setup", "plan", "--root", root_.string(), "--out", out.string()};
  args.insert(args.end(), choices.begin(), choices.end());
  const auto planned = periscope(args);
  ASSERT_EQ(planned.status, 0) << planned.output;
  const std::string domain = testing::read_file((out / "domain.xml").string());
  EXPECT_NE(domain.find("<input type='evdev'>"), std::string::npos) << domain;
  EXPECT_NE(domain.find("<driver type='virtiofs'/>"), std::string::npos) << domain;
  EXPECT_NE(domain.find("<memory unit='MiB'>16384</memory>"), std::string::npos) << domain;
  const auto valid =
      testing::run({"/usr/bin/virt-xml-validate", (out / "domain.xml").string(), "domain"}, kBound);
  EXPECT_EQ(valid.status, 0) << valid.output;

  args = {"setup",
          "plan",
          "--root",
          root_.string(),
          "--out",
          out2.string(),
          "--existing-domain",
          (out / "domain.xml").string()};
  args.insert(args.end(), choices.begin(), choices.end());
  const auto patched = periscope(args);
  ASSERT_EQ(patched.status, 0) << patched.output;
  EXPECT_EQ(testing::read_file((out2 / "domain.xml").string()), domain);
  fs::remove_all(out);
  fs::remove_all(out2);
}

}  // namespace
}  // namespace periscope
