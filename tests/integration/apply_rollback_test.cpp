// apply → rollback on a real tree (a copy of a captured machine) under --root: every file's
// bytes, mode and the set of files and directories come back exactly, also after a failing
// command, after apply is SIGKILLed at every step, and when the user edited a file since.
// A command's undo (what it did outside the files) runs first, in reverse, once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <functional>
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
    p.commands.push_back({{"virsh", "define", "/etc/periscope/win11.xml"},
                          "the VM",
                          false,
                          {"virsh", "undefine", "win11"}});
    return p;
  }

  // A real command for the SubprocessRunner tests; everything it touches is under dir_.
  static std::vector<std::string> sh(const std::string& script) {
    return {"/bin/sh", "-c", script};
  }
  // What the commands of those tests build outside the plan's files, inside the root, so the
  // snapshot sees it: after rollback it must be gone.
  fs::path image() const { return root_ / "var/lib/built.img"; }
  fs::path log() const { return dir_ / "commands.log"; }
  std::string append_to_log(const std::string& word) const {
    return "echo " + word + " >> " + log().string();
  }

  // Applies `p` in a child process that freezes after its `kill_after`th durable step and is
  // SIGKILLed there. kill_after 0: a command of the plan kills the child itself.
  void apply_killed(const SetupPlan& p, int kill_after, bool real_commands) {
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      RecordingRunner recording;
      SubprocessRunner subprocess;
      ApplyOptions o = options(real_commands ? static_cast<CommandRunner*>(&subprocess)
                                             : static_cast<CommandRunner*>(&recording));
      int done = 0;
      o.after_step = [&](const ApplyStep&) {
        if (kill_after == 0 || ++done < kill_after) return;
        const char byte = 'k';
        (void)!::write(ready[1], &byte, 1);
        while (true) ::pause();
      };
      (void)apply_plan(p, o);
      ::_exit(3);  // never reached when the step count is right
    }
    ::close(ready[1]);
    char byte = 0;
    // EOF when the plan's own command killed the child.
    ASSERT_EQ(::read(ready[0], &byte, 1), kill_after == 0 ? 0 : 1) << "the child stopped";
    ::close(ready[0]);
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_TRUE(fs::exists(state_manifest()));
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
  EXPECT_NE(apply_report_text(*applied).find("undone on rollback by: virsh undefine win11"),
            std::string::npos)
      << apply_report_text(*applied);

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
  // The undo of virsh define first, then the regenerate commands in plan order.
  ASSERT_EQ(rollback_runner.recorded().size(), 3u);
  EXPECT_EQ(rollback_runner.recorded()[0],
            (std::vector<std::string>{"virsh", "undefine", "win11"}));
  EXPECT_EQ(rollback_runner.recorded()[1][0], "update-initramfs");
  EXPECT_EQ(rollback_runner.recorded()[2][0], "update-grub");
  ASSERT_EQ(rolled->undo_commands.size(), 1u);
  EXPECT_EQ(rolled->undo_commands[0].action, CommandAction::kRecorded);
  // The record is kept, marked rolled back, and a new apply may start.
  EXPECT_FALSE(fs::exists(state_manifest()));
  auto record = parse_manifest(read_text(rolled->record_path));
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->state, ManifestState::kRolledBack);
  EXPECT_EQ(record->commands[2].undo_state, UndoState::kRecorded);
  EXPECT_EQ(record->commands[0].undo_state, UndoState::kNone);
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
    apply_killed(p, kill_after, /*real_commands=*/false);
    if (::testing::Test::HasFatalFailure()) return;
    RecordingRunner runner;
    auto rolled = rollback_last(options(&runner));
    ASSERT_TRUE(rolled) << rolled.error().message;
    EXPECT_EQ(difference(before_, snapshot(root_)), "");
    // Regenerating is needed only once a command may have run (steps 5 to 7 are commands;
    // being stopped after step 4 means the first command had not started). virsh define
    // (step 7) is undone once it started, before the regenerate commands.
    const std::size_t undos = kill_after == 7 ? 1 : 0;
    EXPECT_EQ(rolled->undo_commands.size(), undos);
    EXPECT_EQ(runner.recorded().size(), undos + (kill_after >= 5 ? 2u : 0u));
    if (undos == 1) {
      EXPECT_EQ(runner.recorded()[0][1], "undefine");
    }
  }
}

// The same with commands that really run, one of which builds something outside the plan's
// files: wherever apply is killed, after its steps or inside that very command, rollback
// leaves no trace of it and the tree as it was.
TEST_F(ApplyRollback, ApplyKilledAtEveryStepLeavesNoTraceOfWhatItsCommandsBuilt) {
  const std::string image = this->image().string();
  const auto with_build = [&](const std::string& build) {
    SetupPlan p = plan();
    p.commands = {{sh(append_to_log("regenerate")), "", true},
                  {sh(build), "build the image", false, sh("rm -f -- " + image)},
                  {sh(append_to_log("third")), "", false}};
    return p;
  };
  const SetupPlan p = with_build("echo built > " + image);
  // Inside the command: the image is there, the manifest says `running`, then the child dies.
  const SetupPlan killed_inside = with_build("echo built > " + image + "; kill -KILL $PPID");
  const int steps = 1 + 3 + 3;
  for (int kill_after = 1; kill_after <= steps + 1; ++kill_after) {
    const bool inside = kill_after > steps;
    SCOPED_TRACE(inside ? "killed inside the command"
                        : "killed after step " + std::to_string(kill_after));
    fs::remove(log());
    apply_killed(inside ? killed_inside : p, inside ? 0 : kill_after, /*real_commands=*/true);
    if (::testing::Test::HasFatalFailure()) return;
    const bool built = inside || kill_after >= 6;
    EXPECT_EQ(fs::exists(image), built);
    if (inside) {
      auto manifest = parse_manifest(read_text(state_manifest()));
      ASSERT_TRUE(manifest) << manifest.error().message;
      EXPECT_EQ(manifest->commands[1].state, CommandState::kRunning);
    }

    SubprocessRunner runner;
    auto rolled = rollback_last(options(&runner));
    ASSERT_TRUE(rolled) << rolled.error().message;
    EXPECT_EQ(difference(before_, snapshot(root_)), "") << "the image is gone too";
    ASSERT_EQ(rolled->undo_commands.size(), built ? 1u : 0u);
    if (built) {
      EXPECT_EQ(rolled->undo_commands[0].action, CommandAction::kRun);
    }
    EXPECT_FALSE(rolled->undo_failed());
    const std::size_t regenerated = kill_after >= 5 ? 1 : 0;
    EXPECT_EQ(rolled->regenerate_commands.size(), regenerated);
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

// A command builds something outside the plan's files; its undo removes it, while the files
// still hold what apply wrote (the undo checks that, and fails otherwise).
TEST_F(ApplyRollback, TheUndoRemovesWhatACommandBuiltBeforeTheFilesComeBack) {
  const std::string image = this->image().string();
  const std::string grub = (root_ / "etc/default/grub").string();
  SetupPlan p = plan();
  p.commands = {{sh("echo built > " + image), "build the image", false,
                 sh("grep -q vfio-pci.ids=10de:2484 " + grub + " && rm -f -- " + image)}};
  SubprocessRunner runner;
  auto applied = apply_plan(p, options(&runner));
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(applied->outcome, ApplyOutcome::kApplied) << apply_report_text(*applied);
  EXPECT_EQ(read_text(image), "built\n");

  auto rolled = rollback_last(options(&runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  ASSERT_EQ(rolled->undo_commands.size(), 1u);
  EXPECT_EQ(rolled->undo_commands[0].action, CommandAction::kRun)
      << "the undo ran while grub still held the new content: " << rolled->undo_commands[0].message;
  EXPECT_FALSE(rolled->undo_failed());
  EXPECT_FALSE(fs::exists(image));
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
  auto record = parse_manifest(read_text(rolled->record_path));
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->commands[0].undo_state, UndoState::kOk);
  EXPECT_EQ(record->commands[0].undo_exit_status, 0);
  // Listed first, before the files.
  const std::string text = rollback_report_text(*rolled);
  EXPECT_LT(text.find("ran undo          /bin/sh -c 'grep -q"), text.find("restored")) << text;
}

TEST_F(ApplyRollback, UndosRunInReverseCommandOrderBeforeTheRegenerateCommands) {
  SetupPlan p = plan();
  p.commands = {{sh(append_to_log("regenerate")), "", true},
                {sh(append_to_log("first")), "", false, sh(append_to_log("undo-first"))},
                {sh(append_to_log("second")), "", false, sh(append_to_log("undo-second"))}};
  SubprocessRunner runner;
  auto applied = apply_plan(p, options(&runner));
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(read_text(log()), "regenerate\nfirst\nsecond\n");
  auto rolled = rollback_last(options(&runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_EQ(read_text(log()),
            "regenerate\nfirst\nsecond\n"
            "undo-second\nundo-first\nregenerate\n");
  ASSERT_EQ(rolled->undo_commands.size(), 2u);
  EXPECT_EQ(rolled->undo_commands[0].argv, p.commands[2].undo);
  EXPECT_EQ(rolled->undo_commands[1].argv, p.commands[1].undo);
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
}

// Apply stops at a failing command: it may have done part of its work, so it is undone; the
// one after it never started and changed nothing, so its undo does not run.
TEST_F(ApplyRollback, TheFailedCommandIsUndoneButOneThatNeverRanIsNot) {
  SetupPlan p = plan();
  p.commands = {{sh(append_to_log("zero")), "", false, sh(append_to_log("undo-zero"))},
                {sh(append_to_log("one") + "; exit 1"), "", false, sh(append_to_log("undo-one"))},
                {sh(append_to_log("two")), "", false, sh(append_to_log("undo-two"))}};
  SubprocessRunner runner;
  auto applied = apply_plan(p, options(&runner));
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(applied->outcome, ApplyOutcome::kCommandFailed);
  const std::string text = apply_report_text(*applied);
  EXPECT_NE(text.find("undo-one"), std::string::npos) << text;
  EXPECT_EQ(text.find("undo-two"), std::string::npos) << "not run, so not undone: " << text;

  auto rolled = rollback_last(options(&runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_EQ(read_text(log()), "zero\none\nundo-one\nundo-zero\n");
  ASSERT_EQ(rolled->undo_commands.size(), 2u);
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
  auto record = parse_manifest(read_text(rolled->record_path));
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->commands[2].undo_state, UndoState::kPending) << "never run";
}

// An undo that fails does not keep the files from coming back; the report names it for the
// user to run by hand (and the CLI exits 3 on undo_failed(), as for a failed regenerate).
TEST_F(ApplyRollback, AFailingUndoIsReportedAndEveryFileStillComesBack) {
  const std::string image = this->image().string();
  SetupPlan p = plan();
  p.commands = {{sh("echo built > " + image), "", false, sh("rm -f -- " + image)},
                {sh(append_to_log("define")), "", false, sh("echo cannot >&2; exit 3")}};
  SubprocessRunner runner;
  auto applied = apply_plan(p, options(&runner));
  ASSERT_TRUE(applied) << applied.error().message;
  ASSERT_EQ(applied->outcome, ApplyOutcome::kApplied);

  auto rolled = rollback_last(options(&runner));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_EQ(difference(before_, snapshot(root_)), "") << "files back, the image undone too";
  EXPECT_TRUE(rolled->undo_failed());
  ASSERT_EQ(rolled->undo_commands.size(), 2u);
  EXPECT_EQ(rolled->undo_commands[0].action, CommandAction::kFailed);
  EXPECT_EQ(rolled->undo_commands[0].exit_status, 3);
  EXPECT_EQ(rolled->undo_commands[1].action, CommandAction::kRun) << "the next undo still ran";
  const std::string text = rollback_report_text(*rolled);
  EXPECT_NE(text.find("UNDO FAILED       /bin/sh -c 'echo cannot >&2; exit 3' (exited with "
                      "status 3)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("run by hand:\n  /bin/sh -c 'echo cannot >&2; exit 3'\n"), std::string::npos)
      << text;
  auto record = parse_manifest(read_text(rolled->record_path));
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(record->state, ManifestState::kRolledBack);
  EXPECT_EQ(record->commands[1].undo_state, UndoState::kFailed);
  EXPECT_EQ(record->commands[1].undo_exit_status, 3);
}

// Answers each command with a scripted exit status (by call number, from 1), counting calls.
class ScriptedRunner final : public CommandRunner {
 public:
  explicit ScriptedRunner(std::function<int(std::size_t)> status) : status_(std::move(status)) {}
  Result<CommandResult> run(const std::vector<std::string>& argv) override {
    calls_.push_back(argv);
    return CommandResult{true, status_(calls_.size())};
  }
  [[nodiscard]] const std::vector<std::vector<std::string>>& calls() const { return calls_; }

 private:
  std::function<int(std::size_t)> status_;
  std::vector<std::vector<std::string>> calls_;
};

// A rollback killed during its undos: the next one runs only those not done (a failed one
// again), then restores everything.
TEST_F(ApplyRollback, ARollbackKilledAmongTheUndosDoesNotRunAFinishedOneAgain) {
  SetupPlan p = plan();
  p.commands[0].undo = {"undo-initramfs"};
  p.commands[1].undo = {"undo-grub"};
  RecordingRunner recording;
  ASSERT_TRUE(apply_plan(p, options(&recording)));
  const Tree applied = snapshot(root_);

  // Undos run virsh, grub, initramfs: the first fails, the second succeeds, the third kills.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ScriptedRunner dying([](std::size_t call) {
      if (call == 3) ::raise(SIGKILL);
      return call == 1 ? 1 : 0;
    });
    (void)rollback_last(options(&dying));
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "rollback died in its third undo";
  auto manifest = parse_manifest(read_text(state_manifest()));
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->state, ManifestState::kRollingBack);
  EXPECT_EQ(manifest->commands[2].undo_state, UndoState::kFailed);
  EXPECT_EQ(manifest->commands[1].undo_state, UndoState::kOk);
  EXPECT_EQ(manifest->commands[0].undo_state, UndoState::kPending);
  EXPECT_EQ(difference(applied, snapshot(root_)), "") << "no file was restored yet";

  ScriptedRunner good([](std::size_t) { return 0; });
  auto rolled = rollback_last(options(&good));
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_EQ(difference(before_, snapshot(root_)), "");
  const std::vector<std::vector<std::string>> expected = {
      {"virsh", "undefine", "win11"},  // failed before: run again
      {"undo-initramfs"},              // never finished
      {"update-initramfs", "-u", "-k", "all"},
      {"update-grub"},
  };
  EXPECT_EQ(good.calls(), expected) << "undo-grub finished before the kill: not run again";
  ASSERT_EQ(rolled->undo_commands.size(), 3u);
  EXPECT_EQ(rolled->undo_commands[1].argv, std::vector<std::string>{"undo-grub"});
  EXPECT_EQ(rolled->undo_commands[1].message, "done by an earlier rollback");
  EXPECT_FALSE(rolled->undo_failed());
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
