// The apply engine's refusals and small rules on real files in a temp directory: the plan and
// manifest checks, preview, nothing-to-do, symlinks, the lock, leftovers of a crash. The
// whole apply → rollback round trips are in tests/integration/apply_rollback_test.cpp.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/file_bytes.hpp"
#include "setup/apply_engine.hpp"
#include "setup/apply_engine_paths.hpp"
#include "setup/setup_manifest.hpp"
#include "setup/sha256.hpp"

namespace periscope::setup {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir)) ++n;
  return n;
}

class ApplyEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("periscope-apply-unit-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "etc");
    std::ofstream(root_ / "etc/existing.conf") << "old\n";
  }
  void TearDown() override { fs::remove_all(root_); }

  ApplyOptions options() {
    ApplyOptions o;
    o.root = root_;
    o.runner = &runner_;
    return o;
  }

  fs::path root_;
  RecordingRunner runner_;
};

Manifest sample_manifest() {
  Manifest m;
  m.root = "/";
  m.plan_sha256 = sha256_hex("plan");
  m.started_at = "2024-05-01T12:00:00Z";
  m.state = ManifestState::kRunningCommands;
  ManifestFile replaced;
  replaced.path = "/etc/default/grub";
  replaced.existed = true;
  replaced.original_sha256 = sha256_hex("old");
  replaced.original_size = 3;
  replaced.original_mode = 0640;
  replaced.original_uid = 0;
  replaced.original_gid = 4;
  replaced.new_sha256 = sha256_hex("new");
  replaced.new_mode = 0640;
  replaced.state = FileState::kWritten;
  ManifestFile created;
  created.path = "/etc/periscope/a.conf";
  created.new_sha256 = sha256_hex("a");
  created.new_mode = 0644;
  created.created_dirs = {"/etc/periscope"};
  m.files = {replaced, created};
  m.commands = {
      {{"update-initramfs", "-u"}, true, CommandState::kOk, 0},
      {{"virsh", "define", "/etc/periscope/vm.xml"},
       false,
       CommandState::kFailed,
       1,
       {"virsh", "undefine", "vm"},
       UndoState::kFailed,
       1},
      {{"kernelstub", "-a", "iommu=pt"},
       false,
       CommandState::kPending,
       {},
       {"kernelstub", "-d", "iommu=pt"},
       UndoState::kPending,
       {}},
  };
  return m;
}

// The manifest as JSON, for tests that break one field of it.
nlohmann::json sample_json() {
  return nlohmann::json::parse(manifest_json_text(sample_manifest()));
}

TEST(SetupManifest, RoundTripsEveryField) {
  const Manifest m = sample_manifest();
  const std::string text = manifest_json_text(m);
  EXPECT_NE(text.find("\"original_mode\": \"0640\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"backup\": \"backups/0.orig\""), std::string::npos);
  auto back = parse_manifest(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(manifest_json_text(*back), text);
  EXPECT_EQ(back->files[0].original_gid, 4u);
  EXPECT_EQ(back->files[1].created_dirs, std::vector<std::string>{"/etc/periscope"});
  EXPECT_EQ(back->commands[0].exit_status, 0);
  EXPECT_TRUE(back->commands[0].undo.empty());
  EXPECT_EQ(back->commands[0].undo_state, UndoState::kNone);
  EXPECT_EQ(back->commands[1].undo, (std::vector<std::string>{"virsh", "undefine", "vm"}));
  EXPECT_EQ(back->commands[1].undo_state, UndoState::kFailed);
  EXPECT_EQ(back->commands[1].undo_exit_status, 1);
  EXPECT_EQ(back->commands[2].undo_state, UndoState::kPending);
  EXPECT_FALSE(back->commands[2].undo_exit_status);
  EXPECT_NE(text.find("\"undo_state\": \"failed\""), std::string::npos) << text;
}

// A record written before commands could carry an undo has none of the undo fields: it still
// reads (and so still rolls back), as commands without an undo.
TEST(SetupManifest, ARecordWithoutUndoFieldsReadsAsCommandsWithoutUndo) {
  nlohmann::json old = sample_json();
  for (auto& command : old["commands"]) {
    command.erase("undo");
    command.erase("undo_state");
    command.erase("undo_exit_status");
  }
  auto parsed = parse_manifest(old.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->commands.size(), 3u);
  for (const ManifestCommand& command : parsed->commands) {
    EXPECT_TRUE(command.undo.empty());
    EXPECT_EQ(command.undo_state, UndoState::kNone);
    EXPECT_FALSE(command.undo_exit_status);
  }
}

TEST(SetupManifest, RefusesMalformedUndoFieldsByName) {
  using nlohmann::json;
  const auto with = [](const std::function<void(json & command)>& change) {
    json document = sample_json();
    change(document["commands"][1]);
    return document.dump();
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with([](json& c) { c["undo"] = "virsh undefine vm"; }), "commands[1].undo is not a list"},
      {with([](json& c) {
         c["undo"] = json::array({"virsh", 3});
       }),
       "commands[1].undo[1] is not a string"},
      {with([](json& c) {
         c["undo"] = json::array({"virsh", ""});
       }),
       "commands[1].undo[1] is an empty string"},
      {with([](json& c) {
         c["undo"] = json::array({"rm", std::string("a\0b", 3)});
       }),
       "commands[1].undo[1] holds a NUL byte"},
      {with([](json& c) { c["undo_state"] = "eaten"; }),
       "commands[1].undo_state has an unknown value"},
      {with([](json& c) { c["undo_state"] = 2; }), "commands[1].undo_state is not a string"},
      {with([](json& c) { c["undo"] = json::array(); }),
       "commands[1].undo_state is \"failed\" but there is no undo"},
      {with([](json& c) { c.erase("undo"); }),
       "commands[1].undo_state is \"failed\" but there is no undo"},
      {with([](json& c) { c.erase("undo_state"); }),
       "commands[1].undo_state is missing or \"none\" but there is an undo"},
      {with([](json& c) { c["undo_state"] = "none"; }),
       "commands[1].undo_state is missing or \"none\" but there is an undo"},
      {with([](json& c) { c["state"] = "pending"; }),
       "commands[1].undo_state says the undo ran, but the command never started"},
      {with([](json& c) { c["undo_exit_status"] = 256; }),
       "commands[1].undo_exit_status is not a number from 0 to 255"},
      {with([](json& c) { c["undo_exit_status"] = "1"; }),
       "commands[1].undo_exit_status is not a number"},
      {with([](json& c) { c["undo_state"] = "pending"; }),
       "commands[1].undo_exit_status is given but the undo has not run"},
      {with([](json& c) {
         c["undo"] = json::array();
         c["undo_state"] = "none";
       }),
       "commands[1].undo_exit_status is given but the undo has not run"},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parse_manifest(text);
    ASSERT_FALSE(parsed) << message;
    EXPECT_NE(parsed.error().message.find(message), std::string::npos) << parsed.error().message;
  }
}

// The undo is part of what the plan does: a plan differing only in it is another plan. A plan
// without undos keeps the digest it had before commands could carry one (a record written then
// is still recognised as this plan, applied).
TEST(PlanSha256, CoversTheUndoAndKeepsTheDigestOfAPlanWithoutOne) {
  SetupPlan plan{
      {{"/etc/a.conf", "a\n", 0644, ""}}, {{{"virsh", "define", "/etc/vm.xml"}, "", false}}, {}};
  const nlohmann::json before_undo = {
      {"files", nlohmann::json::array({{"/etc/a.conf", sha256_hex("a\n"), 0644}})},
      {"commands", nlohmann::json::array({{plan.commands[0].argv, false}})}};
  EXPECT_EQ(plan_sha256(plan), sha256_hex(before_undo.dump()));
  const std::string without = plan_sha256(plan);
  plan.commands[0].undo = {"virsh", "undefine", "vm"};
  const std::string with = plan_sha256(plan);
  EXPECT_NE(with, without);
  plan.commands[0].undo = {"virsh", "undefine", "other"};
  EXPECT_NE(plan_sha256(plan), with);
}

TEST(SetupManifest, RefusesMalformedFieldsByName) {
  const std::string good = manifest_json_text(sample_manifest());
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    return text.replace(text.find(from), from.size(), to);
  };
  std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "is not an object"},
      {with("\"version\": 1", "\"version\": 2"), "version is not 1"},
      {with("\"original_mode\": \"0640\"", "\"original_mode\": \"640\""),
       "files[0].original_mode is not a mode"},
      {with("\"/etc/default/grub\"", "\"/etc//grub\""), "files[0].path is not a clean"},
      {with("\"/etc/default/grub\"", "\"/etc/default/grub/\""), "files[0].path is not a clean"},
      {with("\"/etc/periscope\"", "\"/etc/peri\""), "files[1].created_dirs[0] is not a parent"},
      {with("\"state\": \"written\"", "\"state\": \"eaten\""), "files[0].state has an unknown"},
      {with("\"existed\": true", "\"existed\": 1"), "files[0].existed is not true or false"},
      {with("\"original_uid\": 0", "\"original_uid\": -1"),
       "files[0].original_uid is not a number"},
  };
  Manifest twice = sample_manifest();
  twice.files[1].path = twice.files[0].path;
  twice.files[1].created_dirs.clear();
  cases.emplace_back(manifest_json_text(twice), "files[1].path names a file twice");
  for (const auto& [text, message] : cases) {
    auto parsed = parse_manifest(text);
    ASSERT_FALSE(parsed) << message;
    EXPECT_NE(parsed.error().message.find(message), std::string::npos) << parsed.error().message;
  }
}

TEST(SetupManifest, CleanAbsolutePaths) {
  EXPECT_TRUE(is_clean_absolute_path("/etc/modprobe.d/x.conf"));
  EXPECT_TRUE(is_clean_absolute_path("/etc/.hidden"));
  for (const char* bad : {"", "/", "etc/x", "/etc/../x", "/etc/./x", "/etc//x", "/etc/", "/.."}) {
    EXPECT_FALSE(is_clean_absolute_path(bad)) << bad;
  }
  EXPECT_FALSE(is_clean_absolute_path(std::string_view("/etc/x\0y", 8)));
}

TEST_F(ApplyEngine, RefusesABadPlanBeforeTouchingAnything) {
  const std::size_t before = count_entries(root_);
  const std::pair<SetupPlan, std::string> cases[] = {
      {{{{"etc/x", "x", 0644, ""}}, {}, {}}, "not a clean absolute path"},
      {{{{"/etc/../x", "x", 0644, ""}}, {}, {}}, "not a clean absolute path"},
      {{{{"/etc/a", "1", 0644, ""}, {"/etc/a", "2", 0644, ""}}, {}, {}}, "twice"},
      {{{{"/etc/a", "1", 0644, ""}, {"/etc/a/b", "2", 0644, ""}}, {}, {}}, "both as a file"},
      {{{{"/etc/existing.conf/x", "1", 0644, ""}}, {}, {}}, "to be a directory"},
      {{{{"/etc/a", "1", 0644, ""}}, {{{}, "", false}}, {}}, "empty command"},
      {{{{"/etc/a", "1", 0644, ""}}, {{{"virsh", "define", "x"}, "", false, {"virsh", ""}}}, {}},
       "the undo of `virsh define x`: argument 1 is an empty string"},
      {{{{"/var/lib/periscope/setup/current/manifest.json", "{}", 0644, ""}}, {}, {}},
       "inside the setup state directory"},
  };
  for (const auto& [plan, message] : cases) {
    auto applied = apply_plan(plan, options());
    ASSERT_FALSE(applied) << message;
    EXPECT_NE(applied.error().message.find(message), std::string::npos) << applied.error().message;
  }
  EXPECT_EQ(count_entries(root_), before);
  EXPECT_TRUE(runner_.recorded().empty());
}

TEST_F(ApplyEngine, PreviewSaysWhatApplyWouldDoAndTouchesNothing) {
  const SetupPlan plan{
      {{"/etc/existing.conf", "new\n", 0644, ""}, {"/etc/new/a.conf", "a", 0600, ""}},
      {{{"update-initramfs", "-u"}, "", true},
       {{"virsh", "define", "/etc/new/a.conf"}, "", false, {"virsh", "undefine", "win11"}}},
      {}};
  const std::size_t before = count_entries(root_);
  auto preview = preview_apply(plan, options());
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_EQ(preview->outcome, ApplyOutcome::kPreview);
  EXPECT_EQ(preview->files[0].action, FileAction::kReplace);
  EXPECT_EQ(preview->files[1].action, FileAction::kCreate);
  EXPECT_EQ(preview->files[1].created_dirs, std::vector<std::string>{"/etc/new"});
  const std::string text = apply_report_text(*preview);
  EXPECT_NE(text.find("would replace     /etc/existing.conf"), std::string::npos) << text;
  EXPECT_NE(text.find("would mkdir       /etc/new/"), std::string::npos) << text;
  EXPECT_NE(text.find("would run         update-initramfs -u\n  would run"), std::string::npos)
      << "no undo line for a command without one: " << text;
  EXPECT_NE(text.find("would run         virsh define /etc/new/a.conf\n"
                      "                    undone on rollback by: virsh undefine win11\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(count_entries(root_), before);
  EXPECT_EQ(read_text(root_ / "etc/existing.conf"), "old\n");
}

TEST_F(ApplyEngine, FilesAlreadyInPlaceMeanNothingToDoAndNoRecord) {
  const SetupPlan plan{
      {{"/etc/existing.conf", "old\n", 0644, ""}}, {{{"update-initramfs", "-u"}, "", true}}, {}};
  auto applied = apply_plan(plan, options());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->outcome, ApplyOutcome::kNothingToDo);
  EXPECT_EQ(applied->files[0].action, FileAction::kAlreadyInPlace);
  EXPECT_TRUE(runner_.recorded().empty()) << "nothing changed, so nothing to regenerate";
  EXPECT_FALSE(fs::exists(root_ / "var/lib/periscope/setup/current"));
  auto rolled = rollback_last(options());
  ASSERT_FALSE(rolled);
  EXPECT_EQ(rolled.error().code, ErrorCode::kNotFound);
}

TEST_F(ApplyEngine, NeverWritesThroughOrOverASymlink) {
  std::ofstream(root_ / "real.conf") << "real\n";
  fs::create_symlink("../real.conf", root_ / "etc/link.conf");
  auto applied = apply_plan({{{"/etc/link.conf", "x", 0644, ""}}, {}, {}}, options());
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message.find("is a symlink"), std::string::npos);
  EXPECT_EQ(read_text(root_ / "real.conf"), "real\n");
  EXPECT_TRUE(fs::is_symlink(root_ / "etc/link.conf"));
}

TEST_F(ApplyEngine, RefusesAPathLeadingOutOfTheRootThroughASymlink) {
  const fs::path outside = root_.string() + "-outside";
  fs::create_directories(outside);
  fs::create_symlink(outside, root_ / "etc/out");
  auto applied = apply_plan({{{"/etc/out/x.conf", "x", 0644, ""}}, {}, {}}, options());
  fs::remove_all(outside);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message.find("leads outside the root"), std::string::npos)
      << applied.error().message;
}

TEST_F(ApplyEngine, ASecondApplyOrRollbackAtTheSameTimeIsRefused) {
  const fs::path state = root_ / "var/lib/periscope/setup";
  fs::create_directories(state);
  const int held = ::open((state / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);  // a separate open file description: it conflicts
  auto applied = apply_plan({{{"/etc/existing.conf", "new\n", 0644, ""}}, {}, {}}, options());
  ::close(held);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code, ErrorCode::kBusy);
  EXPECT_EQ(read_text(root_ / "etc/existing.conf"), "old\n");
}

TEST_F(ApplyEngine, ARecordWithoutAManifestIsACrashBeforeAnyChangeAndIsCleared) {
  // A crash after the backups but before the manifest: nothing on the machine was touched.
  fs::create_directories(root_ / "var/lib/periscope/setup/current/backups");
  std::ofstream(root_ / "var/lib/periscope/setup/current/backups/0.orig") << "stale";
  auto applied = apply_plan({{{"/etc/existing.conf", "new\n", 0644, ""}}, {}, {}}, options());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->outcome, ApplyOutcome::kApplied);
  EXPECT_EQ(read_text(root_ / "var/lib/periscope/setup/current/backups/0.orig"), "old\n");
}

TEST_F(ApplyEngine, RollbackRemovesATempFileACrashLeftMidWrite) {
  ASSERT_TRUE(apply_plan({{{"/etc/existing.conf", "new\n", 0644, ""}}, {}, {}}, options()));
  // What a crash between mkstemp and rename leaves; a name of someone else's is kept.
  std::ofstream(root_ / "etc/existing.conf.tmp-Ab12Cd") << "half";
  std::ofstream(root_ / "etc/existing.conf.tmp-keep-me") << "theirs";
  auto rolled = rollback_last(options());
  ASSERT_TRUE(rolled) << rolled.error().message;
  EXPECT_FALSE(fs::exists(root_ / "etc/existing.conf.tmp-Ab12Cd"));
  EXPECT_TRUE(fs::exists(root_ / "etc/existing.conf.tmp-keep-me"));
  EXPECT_EQ(read_text(root_ / "etc/existing.conf"), "old\n");
}

TEST_F(ApplyEngine, ReplacedFilesKeepTheirModeNewOnesGetThePlans) {
  fs::permissions(root_ / "etc/existing.conf", fs::perms(0604));
  ASSERT_TRUE(apply_plan(
      {{{"/etc/existing.conf", "new\n", 0600, ""}, {"/etc/fresh.conf", "fresh\n", 0640, ""}},
       {},
       {}},
      options()));
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "etc/existing.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  ASSERT_EQ(::stat((root_ / "etc/fresh.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

// What the user is told to run by hand must paste into a shell as the argv it was.
TEST(ApplyEngineText, CommandLinesQuoteOnlyWhatTheShellNeeds) {
  EXPECT_EQ(shell_command_line({"update-initramfs", "-u", "-k", "all"}),
            "update-initramfs -u -k all");
  EXPECT_EQ(shell_command_line({"kernelstub", "-d", "vfio-pci.ids=10de:2484,10de:228b"}),
            "kernelstub -d vfio-pci.ids=10de:2484,10de:228b");
  EXPECT_EQ(shell_command_line({"sh", "-c", "rm -f -- '/var/a b'", ""}),
            "sh -c 'rm -f -- '\\''/var/a b'\\''' ''");
}

TEST(ApplyEngineText, RollbackListsTheUndosFirstAndNamesAFailedOneToRunByHand) {
  RollbackReport report;
  report.undo_commands = {
      {{"virsh", "undefine", "win11"}, CommandAction::kFailed, 1, "exited with status 1", {}},
      {{"rm", "-f", "--", "/var/lib/img"},
       CommandAction::kRun,
       0,
       "done by an earlier rollback",
       {}},
  };
  report.files = {{"/etc/default/grub", RestoreAction::kRestored, {}}};
  report.record_path = "/var/lib/periscope/setup/rolled-back-x/manifest.json";
  EXPECT_TRUE(report.undo_failed());
  EXPECT_FALSE(report.regenerate_failed());
  const std::string text = rollback_report_text(report);
  EXPECT_EQ(text.find("  UNDO FAILED       virsh undefine win11 (exited with status 1)\n"
                      "  ran undo          rm -f -- /var/lib/img (done by an earlier rollback)\n"
                      "  restored          /etc/default/grub\n"),
            0u)
      << text;
  EXPECT_NE(text.find("run by hand:\n  virsh undefine win11\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("run by hand:\n  virsh undefine win11\n  rm"), std::string::npos)
      << "only the failed one: " << text;

  report.undo_commands[0].action = CommandAction::kRun;
  EXPECT_FALSE(report.undo_failed());
  EXPECT_EQ(rollback_report_text(report).find("by hand"), std::string::npos);
}

TEST(FileBytesOwned, WritesWithOurOwnerWithoutPrivilege) {
  const fs::path path =
      fs::temp_directory_path() / ("periscope-owned-" + std::to_string(::getpid()));
  const std::string text = "x";
  ASSERT_TRUE(write_file_atomic_owned(
      path.string(), std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
      04755, ::geteuid(), ::getegid()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u) << "set after chown, so the set-user-ID bit stays";
  fs::remove(path);
  if (::geteuid() != 0) {
    auto refused = write_file_atomic_owned(path.string(), {}, 0644, 0, 0);
    EXPECT_FALSE(refused) << "chown to root needs privilege";
    EXPECT_FALSE(fs::exists(path));
  }
}

}  // namespace
}  // namespace periscope::setup
