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
#include <sstream>

#include "common/file_bytes.hpp"
#include "setup/apply_engine.hpp"
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
  m.commands = {{{"update-initramfs", "-u"}, true, CommandState::kFailed, 1}};
  return m;
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
  EXPECT_EQ(back->commands[0].exit_status, 1);
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
      {{{"update-initramfs", "-u"}, "", true}},
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
  EXPECT_NE(text.find("would run         update-initramfs -u"), std::string::npos) << text;
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
