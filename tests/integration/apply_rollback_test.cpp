// apply → rollback on a real tree (a copy of a captured machine) under --root: every file's
// bytes, mode and the set of files and directories come back exactly, also after a failing
// command, after apply is SIGKILLed at every step, and when the user edited a file since.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "setup/apply_engine.hpp"
#include "setup/setup_manifest.hpp"
#include "tree_snapshot.hpp"

namespace periscope::setup {
namespace {

namespace fs = std::filesystem;
using testing::difference;
using testing::read_text;
using testing::snapshot;
using testing::Tree;
using testing::write_text;

// __FILE__ is <source>/tests/integration/apply_rollback_test.cpp.
fs::path fixture(const std::string& name) {
  return fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "machines" / name;
}

class ApplyRollback : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("periscope-apply-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    root_ = dir_ / "root";
    fs::create_directories(root_);
    fs::copy(fixture("desktop-clean-group"), root_,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    // The state directory's parents exist on a real machine; make them part of "before".
    fs::create_directories(root_ / "var/lib");
    // A replaced file keeps its mode: give one an unusual mode to see that.
    fs::permissions(root_ / "etc/default/grub", fs::perms(0640));
    before_ = snapshot(root_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Modifies an existing file, creates one in a new directory (two levels), one in an
  // existing directory, then commands.
  SetupPlan plan() const {
    SetupPlan p;
    p.files.push_back({"/etc/default/grub",
                       "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet amd_iommu=on iommu=pt "
                       "vfio-pci.ids=10de:2484,10de:228b\"\n",
                       0644, "kernel command line"});
    p.files.push_back({"/etc/periscope/modprobe.d/periscope-vfio.conf",
                       "options vfio-pci ids=10de:2484,10de:228b\nsoftdep nvidia pre: vfio-pci\n",
                       0644, "bind the GPU to vfio-pci early"});
    p.files.push_back({"/etc/initramfs-tools/periscope-modules",
                       "vfio\nvfio_iommu_type1\nvfio_pci\n", 0600,
                       "vfio modules in the initramfs"});
    p.commands.push_back({{"update-initramfs", "-u", "-k", "all"}, "rebuild the initramfs", true});
    p.commands.push_back({{"update-grub"}, "rebuild the boot menu", true});
    p.commands.push_back({{"virsh", "define", "/etc/periscope/win11.xml"}, "the VM", false});
    return p;
  }

  ApplyOptions options(CommandRunner* runner) const {
    ApplyOptions o;
    o.root = root_;
    o.runner = runner;
    return o;
  }

  fs::path state_manifest() const {
    return root_ / "var/lib/periscope/setup/current/manifest.json";
  }

  fs::path dir_;
  fs::path root_;
  Tree before_;
};

TEST_F(ApplyRollback, ApplyWritesThePlanAndRollbackRestoresTheTreeByteForByte) {
  RecordingRunner runner;
  auto applied = apply_plan(plan(), options(&runner));
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->outcome, ApplyOutcome::kApplied) << apply_report_text(*applied);
  ASSERT_EQ(applied->files.size(), 3u);
  EXPECT_EQ(applied->files[0].action, FileAction::kReplace);
  EXPECT_EQ(applied->files[1].action, FileAction::kCreate);
  EXPECT_EQ(applied->files[1].created_dirs,
            (std::vector<std::string>{"/etc/periscope", "/etc/periscope/modprobe.d"}));
  EXPECT_EQ(applied->files[2].action, FileAction::kCreate);
  EXPECT_EQ(runner.recorded().size(), 3u);

  // What the user asked for is on disk, with the right modes.
  const SetupPlan p = plan();
  for (const PlannedFile& file : p.files) {
    EXPECT_EQ(read_text(root_.string() + file.path), file.content) << file.path;
  }
  const Tree after_apply = snapshot(root_);
  EXPECT_EQ(after_apply.at("etc/default/grub").mode, 0640u) << "the original's mode is kept";
  EXPECT_EQ(after_apply.at("etc/initramfs-tools/periscope-modules").mode, 0600u);
  EXPECT_EQ(after_apply.at("etc/periscope/modprobe.d/periscope-vfio.conf").mode, 0644u);

  RecordingRunner rollback_runner;
  auto rolled = rollback_last(options(&rollback_runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
  EXPECT_EQ(rolled->removed_dirs,
            (std::vector<std::string>{"/etc/periscope/modprobe.d", "/etc/periscope"}));
  // The regenerate commands, in plan order; virsh define is not one.
  ASSERT_EQ(rollback_runner.recorded().size(), 2u);
  EXPECT_EQ(rollback_runner.recorded()[0][0], "update-initramfs");
  EXPECT_EQ(rollback_runner.recorded()[1][0], "update-grub");
  // The record is kept, marked rolled back, and a new apply may start.
  EXPECT_FALSE(fs::exists(state_manifest()));
  auto record = parse_manifest(read_text(rolled->record_path));
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->state, ManifestState::kRolledBack);
  EXPECT_NE(rollback_report_text(*rolled).find("restored          /etc/default/grub"),
            std::string::npos)
      << rollback_report_text(*rolled);
}

TEST_F(ApplyRollback, ASecondApplyChangesNothing) {
  RecordingRunner runner;
  ASSERT_TRUE(apply_plan(plan(), options(&runner)));
  const Tree applied = snapshot(root_, /*with_state=*/true);
  auto again = apply_plan(plan(), options(&runner));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome, ApplyOutcome::kAlreadyApplied);
  for (const FileReport& file : again->files) {
    EXPECT_EQ(file.action, FileAction::kAlreadyInPlace) << file.path;
  }
  EXPECT_EQ(runner.recorded().size(), 3u) << "no command ran again";
  EXPECT_EQ(difference(applied, snapshot(root_, true)), "") << "not even the manifest changed";
  EXPECT_NE(apply_report_text(*again).find("already in place"), std::string::npos);
}

TEST_F(ApplyRollback, ADifferentPlanIsRefusedUntilTheLastOneIsRolledBack) {
  RecordingRunner runner;
  ASSERT_TRUE(apply_plan(plan(), options(&runner)));
  const Tree applied = snapshot(root_, true);
  SetupPlan other = plan();
  other.files[0].content += "# more\n";
  auto refused = apply_plan(other, options(&runner));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kBusy);
  EXPECT_NE(refused.error().message.find("setup rollback"), std::string::npos);
  EXPECT_EQ(difference(applied, snapshot(root_, true)), "");

  ASSERT_TRUE(rollback_last(options(&runner)));
  auto second = apply_plan(other, options(&runner));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->outcome, ApplyOutcome::kApplied);
}

TEST_F(ApplyRollback, AFailingCommandStopsApplyAndRollbackStillRestoresEverything) {
  const fs::path log = dir_ / "commands.log";
  SetupPlan p = plan();
  p.commands = {
      {{"/bin/sh", "-c", "echo regenerate >> " + log.string()}, "", true},
      {{"/bin/false"}, "", false},
      {{"/bin/sh", "-c", "echo third >> " + log.string()}, "", false},
  };
  SubprocessRunner runner;
  auto applied = apply_plan(p, options(&runner));
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->outcome, ApplyOutcome::kCommandFailed);
  EXPECT_EQ(applied->commands[0].action, CommandAction::kRun);
  EXPECT_EQ(applied->commands[1].action, CommandAction::kFailed);
  EXPECT_EQ(applied->commands[1].exit_status, 1);
  EXPECT_EQ(applied->commands[2].action, CommandAction::kNotRun);
  EXPECT_EQ(read_text(log), "regenerate\n") << "the command after the failure did not run";

  // The manifest on disk says exactly that.
  auto manifest = parse_manifest(read_text(state_manifest()));
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->state, ManifestState::kFailed);
  EXPECT_NE(manifest->failure.find("/bin/false"), std::string::npos);
  EXPECT_EQ(manifest->commands[0].state, CommandState::kOk);
  EXPECT_EQ(manifest->commands[1].state, CommandState::kFailed);
  EXPECT_EQ(manifest->commands[1].exit_status, 1);
  EXPECT_EQ(manifest->commands[2].state, CommandState::kPending);

  // Applying again is refused: the failed apply must be rolled back first.
  EXPECT_FALSE(apply_plan(p, options(&runner)));

  auto rolled = rollback_last(options(&runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
  EXPECT_EQ(read_text(log), "regenerate\nregenerate\n") << "rollback re-ran the regenerate one";
}

// A child applies and freezes after its Nth durable step; the parent SIGKILLs it there and
// rolls back. Steps: the manifest, three files, three commands.
TEST_F(ApplyRollback, ApplyKilledAtEveryStepRollsBackToTheSameTree) {
  const SetupPlan p = plan();
  const int steps = 1 + 3 + 3;
  for (int kill_after = 1; kill_after <= steps; ++kill_after) {
    SCOPED_TRACE("killed after step " + std::to_string(kill_after));
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      RecordingRunner runner;
      ApplyOptions o = options(&runner);
      int done = 0;
      o.after_step = [&](const ApplyStep&) {
        if (++done < kill_after) return;
        const char byte = 'k';
        (void)!::write(ready[1], &byte, 1);
        while (true) ::pause();
      };
      (void)apply_plan(p, o);
      ::_exit(3);  // never reached when the step count is right
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child stopped at its step";
    ::close(ready[0]);
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));

    ASSERT_TRUE(fs::exists(state_manifest()));
    RecordingRunner runner;
    auto rolled = rollback_last(options(&runner));
    ASSERT_TRUE(rolled) << rolled.error().message;
    EXPECT_EQ(difference(before_, snapshot(root_)), "");
    // Regenerating is needed only once a command may have run (steps 5 to 7 are commands;
    // being stopped after step 4 means the first command had not started).
    EXPECT_EQ(runner.recorded().size(), kill_after >= 5 ? 2u : 0u);
  }
}

TEST_F(ApplyRollback, AFileEditedAfterApplyIsKeptBesideTheRestoredOriginal) {
  RecordingRunner runner;
  ASSERT_TRUE(apply_plan(plan(), options(&runner)));
  const std::string edited_grub = read_text(root_ / "etc/default/grub") + "GRUB_TIMEOUT=1\n";
  write_text(root_ / "etc/default/grub", edited_grub);
  const std::string edited_new = "options vfio-pci ids=10de:2484\n";
  write_text(root_ / "etc/periscope/modprobe.d/periscope-vfio.conf", edited_new);

  auto rolled = rollback_last(options(&runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_TRUE(rolled->has_conflicts());
  EXPECT_EQ(rolled->files[0].action, RestoreAction::kConflict);
  EXPECT_EQ(rolled->files[0].conflict_copy, "/etc/default/grub.periscope-conflict");
  EXPECT_EQ(rolled->files[1].action, RestoreAction::kConflict);
  EXPECT_EQ(rolled->files[2].action, RestoreAction::kRemoved);

  // The tree is the original plus the two edited versions (and the directory holding one).
  Tree expected = before_;
  expected["etc/default/grub.periscope-conflict"] = {'f', 0640, edited_grub};
  expected["etc/periscope"] = {'d', 0755, {}};
  expected["etc/periscope/modprobe.d"] = {'d', 0755, {}};
  expected["etc/periscope/modprobe.d/periscope-vfio.conf.periscope-conflict"] = {'f', 0644,
                                                                                 edited_new};
  EXPECT_EQ(difference(expected, snapshot(root_)), "");
  EXPECT_EQ(rolled->kept_dirs,
            (std::vector<std::string>{"/etc/periscope/modprobe.d", "/etc/periscope"}));
  EXPECT_NE(rollback_report_text(*rolled).find("CONFLICT"), std::string::npos);
}

// A tampered manifest is refused with a message naming the problem, and nothing changes.
TEST_F(ApplyRollback, AHostileManifestIsRefusedAndNothingIsTouched) {
  RecordingRunner runner;
  ASSERT_TRUE(apply_plan(plan(), options(&runner)));
  const std::string good = read_text(state_manifest());
  const fs::path outside = dir_ / "outside";
  fs::create_directories(outside);
  write_text(outside / "victim", "precious\n");
  fs::create_symlink(outside, root_ / "escape");
  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  struct Case {
    std::string name;
    std::string manifest;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"not JSON", good.substr(0, good.size() / 2), "not valid JSON"},
      {"dot-dot", replace("\"/etc/default/grub\"", "\"/etc/../../outside/victim\""),
       "files[0].path is not a clean absolute path"},
      {"relative", replace("\"/etc/default/grub\"", "\"etc/default/grub\""),
       "files[0].path is not a clean absolute path"},
      {"through a symlink", replace("\"/etc/default/grub\"", "\"/escape/victim\""),
       "leads outside the root"},
      {"foreign directory", replace("\"/etc/periscope\",", "\"/usr\","), "is not a parent of"},
      {"another root", replace("\"root\": \"" + root_.string() + "\"", "\"root\": \"/\""),
       "records an apply under the root /"},
      {"bad digest", replace("\"new_sha256\": \"", "\"new_sha256\": \"zz"), "SHA-256"},
  };
  // Applied state plus the outside directory and the planted symlink.
  const Tree applied = snapshot(root_, true);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    write_text(state_manifest(), c.manifest);
    const Tree planted = snapshot(root_, true);
    auto rolled = rollback_last(options(&runner));
    ASSERT_FALSE(rolled);
    EXPECT_NE(rolled.error().message.find(c.message), std::string::npos) << rolled.error().message;
    EXPECT_EQ(difference(planted, snapshot(root_, true)), "");
    EXPECT_EQ(read_text(outside / "victim"), "precious\n");
  }
  // A backup that is not the original any more.
  write_text(state_manifest(), good);
  write_text(state_manifest().parent_path() / "backups/0.orig", "not the original\n");
  auto rolled = rollback_last(options(&runner));
  ASSERT_FALSE(rolled);
  EXPECT_NE(rolled.error().message.find("does not match the manifest's digest"), std::string::npos);
  Tree after = snapshot(root_, true);
  after.erase("var/lib/periscope/setup/current/backups/0.orig");
  Tree expected = applied;
  expected.erase("var/lib/periscope/setup/current/backups/0.orig");
  EXPECT_EQ(difference(expected, after), "");
}

}  // namespace
}  // namespace periscope::setup
