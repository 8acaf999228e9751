// apply: record, then change. The manifest (with a backup of every original) is durable
// before the first file is touched, and is rewritten after every step, so whatever point a
// crash stops us at, rollback finds the intent on disk and the originals beside it.
#include "setup/apply_engine.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include <nlohmann/json.hpp>

#include "common/file_bytes.hpp"
#include "setup/apply_engine_paths.hpp"
#include "setup/sha256.hpp"

namespace periscope::setup {

namespace fs = std::filesystem;
using detail::EnginePaths;

namespace {

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// One planned file as found on the machine now.
struct Target {
  ManifestFile entry;
  std::optional<std::vector<std::uint8_t>> original;
  const PlannedFile* planned{nullptr};
};

// Parents of `target` that do not exist, outermost first; an existing one that is not a
// directory is a refusal (we would have to replace it).
Result<std::vector<std::string>> missing_parents(const EnginePaths& paths,
                                                 const std::string& target) {
  std::vector<std::string> missing;
  std::size_t slash = target.find('/', 1);
  while (slash != std::string::npos) {
    const std::string dir = target.substr(0, slash);
    struct stat st {};
    const std::string host = detail::host_path(paths, dir);
    if (!missing.empty() || ::stat(host.c_str(), &st) != 0) {
      if (missing.empty() && errno != ENOENT) return fail_errno(errno, "stat " + host);
      missing.push_back(dir);
    } else if (!S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::kInvalidArgument, "{} needs {} to be a directory, and it is not",
                  target, dir);
    }
    slash = target.find('/', slash + 1);
  }
  return missing;
}

Status check_plan_shape(const SetupPlan& plan) {
  std::set<std::string> seen;
  for (const PlannedFile& file : plan.files) {
    if (!is_clean_absolute_path(file.path)) {
      return fail(ErrorCode::kInvalidArgument,
                  "the plan names \"{}\": not a clean absolute path (no .., no //)", file.path);
    }
    if (file.mode > 07777) {
      return fail(ErrorCode::kInvalidArgument, "the plan gives {} the mode {:o}", file.path,
                  file.mode);
    }
    if (!seen.insert(file.path).second) {
      return fail(ErrorCode::kInvalidArgument, "the plan names {} twice", file.path);
    }
  }
  for (const std::string& path : seen) {
    const auto next = seen.upper_bound(path + "/");
    if (next != seen.end() && next->starts_with(path + "/")) {
      return fail(ErrorCode::kInvalidArgument, "the plan writes {} both as a file and a directory",
                  path);
    }
  }
  for (const PlannedCommand& command : plan.commands) {
    if (command.argv.empty() || command.argv[0].empty()) {
      return fail(ErrorCode::kInvalidArgument, "the plan holds an empty command");
    }
    // Refused here, not at rollback: the manifest parser would refuse to read it back.
    if (const auto bad = undo_argv_problem(command.undo)) {
      return fail(ErrorCode::kInvalidArgument, "the undo of `{}`: argument {} {}",
                  shell_command_line(command.argv), bad->index, bad->what);
    }
  }
  return {};
}

Result<std::vector<Target>> examine(const SetupPlan& plan, const EnginePaths& paths) {
  if (auto shape = check_plan_shape(plan); !shape) return tl::unexpected(shape.error());
  std::vector<Target> targets;
  std::set<std::string> claimed_dirs;  // a new directory is recorded by the first file in it
  for (const PlannedFile& file : plan.files) {
    if (auto inside = detail::check_under_root(paths, file.path); !inside) {
      return tl::unexpected(inside.error());
    }
    auto current = detail::read_current(detail::host_path(paths, file.path));
    if (!current) return tl::unexpected(current.error());
    Target target;
    target.planned = &file;
    ManifestFile& entry = target.entry;
    entry.path = file.path;
    entry.new_sha256 = sha256_hex(file.content);
    if (*current) {
      const detail::CurrentFile& now = **current;
      entry.existed = true;
      entry.original_sha256 = now.sha256;
      entry.original_size = now.bytes.size();
      entry.original_mode = now.mode;
      entry.original_uid = now.uid;
      entry.original_gid = now.gid;
      entry.new_mode = now.mode;  // a replaced file keeps its mode and owner
      entry.state = now.sha256 == entry.new_sha256 ? FileState::kInPlace : FileState::kPending;
      target.original = now.bytes;
    } else {
      entry.new_mode = file.mode;
      auto missing = missing_parents(paths, file.path);
      if (!missing) return tl::unexpected(missing.error());
      for (const std::string& dir : *missing) {
        if (claimed_dirs.insert(dir).second) entry.created_dirs.push_back(dir);
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

enum class Previous { kNone, kStaleDirectory, kSamePlanInPlace };

// An earlier apply's record. Only "this very plan, complete, every file still as we wrote it"
// lets apply go on (as a no-op); anything else must be rolled back first.
// Whether every file of `plan` already holds its planned content.
bool plan_in_place(const EnginePaths& paths, const SetupPlan& plan) {
  for (const PlannedFile& file : plan.files) {
    auto now = detail::read_current(detail::host_path(paths, file.path));
    if (!now || !*now || (*now)->sha256 != sha256_hex(file.content)) return false;
  }
  return true;
}

Result<Previous> check_previous(const EnginePaths& paths, const SetupPlan& plan,
                                const std::string& plan_digest) {
  std::error_code ec;
  if (!fs::exists(paths.current, ec)) return Previous::kNone;
  // No manifest: a crash came before it was written, so nothing on the machine was touched.
  if (!fs::exists(paths.manifest, ec)) return Previous::kStaleDirectory;
  auto text = read_file_bytes(paths.manifest.string(), detail::kMaxTargetBytes);
  if (!text) return tl::unexpected(text.error());
  auto manifest =
      parse_manifest(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
  if (!manifest) {
    return fail(ErrorCode::kProtocol, "{} cannot be read ({}); nothing was touched",
                paths.manifest.string(), manifest.error().message);
  }
  const auto not_rolled_back = [&](const std::string& why) {
    return fail(ErrorCode::kBusy,
                "the previous setup apply (started {}, {}) {}; run `periscope setup rollback` "
                "first. Nothing was touched.",
                manifest->started_at, state_name(manifest->state), why);
  };
  if (manifest->state != ManifestState::kApplied) return not_rolled_back("did not complete");
  // Planning again after an apply gives a smaller plan (the planner leaves out what is already
  // right), so "the same plan" also means: a plan that would change nothing now.
  if (manifest->plan_sha256 != plan_digest && !plan_in_place(paths, plan)) {
    return not_rolled_back("was a different plan");
  }
  for (const ManifestFile& file : manifest->files) {
    auto now = detail::read_current(detail::host_path(paths, file.path));
    if (!now || !*now || (*now)->sha256 != file.new_sha256) {
      return not_rolled_back("is in place, but " + file.path + " was changed since");
    }
  }
  return Previous::kSamePlanInPlace;
}

ApplyReport report_for(const std::vector<Target>& targets, const SetupPlan& plan,
                       ApplyOutcome outcome, bool all_reached) {
  ApplyReport report;
  report.outcome = outcome;
  for (const Target& target : targets) {
    FileReport file{target.entry.path, FileAction::kNotReached, target.entry.created_dirs};
    if (target.entry.state == FileState::kInPlace) {
      file.action = FileAction::kAlreadyInPlace;
    } else if (all_reached || target.entry.state == FileState::kWritten) {
      file.action = target.entry.existed ? FileAction::kReplace : FileAction::kCreate;
    }
    report.files.push_back(std::move(file));
  }
  for (const PlannedCommand& command : plan.commands) {
    report.commands.push_back(
        {command.argv,
         outcome == ApplyOutcome::kPreview ? CommandAction::kRun : CommandAction::kNotRun,
         0,
         {},
         command.undo});
  }
  return report;
}

ApplyReport already_in_place(const SetupPlan& plan, ApplyOutcome outcome) {
  ApplyReport report;
  report.outcome = outcome;
  for (const PlannedFile& file : plan.files) {
    report.files.push_back({file.path, FileAction::kAlreadyInPlace, {}});
  }
  for (const PlannedCommand& command : plan.commands) {
    report.commands.push_back({command.argv, CommandAction::kNotRun, 0, {}, command.undo});
  }
  return report;
}

bool nothing_to_write(const SetupPlan& plan, const std::vector<Target>& targets) {
  if (plan.files.empty()) return false;  // a commands-only plan still has work
  for (const Target& target : targets) {
    if (target.entry.state != FileState::kInPlace) return false;
  }
  return true;
}

Status make_directory(const EnginePaths& paths, const std::string& dir) {
  const std::string host = detail::host_path(paths, dir);
  if (::mkdir(host.c_str(), 0755) != 0 && errno != EEXIST)
    return fail_errno(errno, "mkdir " + host);
  return fsync_directory(fs::path(host).parent_path().string());
}

// The record of this apply, durable before the first change: backups first (the manifest
// refers to them), then the manifest.
Status write_record(const EnginePaths& paths, const std::vector<Target>& targets,
                    const Manifest& manifest) {
  std::error_code ec;
  fs::create_directories(paths.current / "backups", ec);
  if (ec) return fail(ErrorCode::kIo, "create {}: {}", paths.current.string(), ec.message());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!targets[i].original || targets[i].entry.state == FileState::kInPlace) continue;
    const std::string backup = (paths.current / backup_name(i)).string();
    if (auto saved = write_file_atomic(backup, *targets[i].original, 0600); !saved) return saved;
  }
  if (auto synced = fsync_directory(paths.current.string()); !synced) return synced;
  if (auto synced = fsync_directory(paths.state_dir.string()); !synced) return synced;
  return detail::save_manifest(paths, manifest);
}

}  // namespace

std::string plan_sha256(const SetupPlan& plan) {
  nlohmann::json files = nlohmann::json::array();
  for (const PlannedFile& file : plan.files) {
    files.push_back({file.path, sha256_hex(file.content), file.mode});
  }
  nlohmann::json commands = nlohmann::json::array();
  for (const PlannedCommand& command : plan.commands) {
    nlohmann::json identity = {command.argv, command.regenerate};
    // Only when there is one: a plan without undos keeps the digest it had before commands
    // could carry one, so its record is still recognised as "already applied".
    if (!command.undo.empty()) identity.push_back(command.undo);
    commands.push_back(std::move(identity));
  }
  const nlohmann::json identity = {{"files", files}, {"commands", commands}};
  return sha256_hex(identity.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<ApplyReport> preview_apply(const SetupPlan& plan, const ApplyOptions& options) {
  auto paths = detail::resolve_paths(options);
  if (!paths) return tl::unexpected(paths.error());
  auto previous = check_previous(*paths, plan, plan_sha256(plan));
  if (!previous) return tl::unexpected(previous.error());
  if (*previous == Previous::kSamePlanInPlace) {
    return already_in_place(plan, ApplyOutcome::kAlreadyApplied);
  }
  auto targets = examine(plan, *paths);
  if (!targets) return tl::unexpected(targets.error());
  if (nothing_to_write(plan, *targets)) return already_in_place(plan, ApplyOutcome::kNothingToDo);
  return report_for(*targets, plan, ApplyOutcome::kPreview, true);
}

Result<ApplyReport> apply_plan(const SetupPlan& plan, const ApplyOptions& options) {
  if (options.runner == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "apply needs a command runner");
  }
  auto paths = detail::resolve_paths(options);
  if (!paths) return tl::unexpected(paths.error());
  const std::string plan_digest = plan_sha256(plan);
  auto targets = examine(plan, *paths);
  if (!targets) return tl::unexpected(targets.error());

  auto lock = detail::lock_state_dir(*paths);
  if (!lock) return tl::unexpected(lock.error());
  // Checked under the lock: a rollback running beside us could have changed the answer.
  auto previous = check_previous(*paths, plan, plan_digest);
  if (!previous) return tl::unexpected(previous.error());
  if (*previous == Previous::kSamePlanInPlace) {
    auto report = already_in_place(plan, ApplyOutcome::kAlreadyApplied);
    report.manifest_path = paths->manifest.string();
    return report;
  }
  if (nothing_to_write(plan, *targets)) return already_in_place(plan, ApplyOutcome::kNothingToDo);
  if (*previous == Previous::kStaleDirectory) {
    std::error_code ec;
    fs::remove_all(paths->current, ec);
    if (ec) return fail(ErrorCode::kIo, "remove {}: {}", paths->current.string(), ec.message());
  }

  Manifest manifest;
  manifest.root = paths->root_text;
  manifest.plan_sha256 = plan_digest;
  manifest.started_at = detail::utc_timestamp(false);
  for (const Target& target : *targets) manifest.files.push_back(target.entry);
  for (const PlannedCommand& command : plan.commands) {
    manifest.commands.push_back({command.argv,
                                 command.regenerate,
                                 CommandState::kPending,
                                 {},
                                 command.undo,
                                 command.undo.empty() ? UndoState::kNone : UndoState::kPending,
                                 {}});
  }
  if (auto recorded = write_record(*paths, *targets, manifest); !recorded) {
    std::error_code ec;
    fs::remove_all(paths->current, ec);  // nothing was touched yet: leave no half record
    return tl::unexpected(recorded.error());
  }
  const auto step = [&](ApplyStep::Kind kind, const std::string& detail) {
    if (options.after_step) options.after_step(ApplyStep{kind, detail});
  };
  step(ApplyStep::Kind::kManifestWritten, paths->manifest.string());

  // A failure from here on is an outcome, not an error: the manifest says where we stopped.
  const auto record_failure = [&](const std::string& why) {
    manifest.state = ManifestState::kFailed;
    manifest.failure = why;
    (void)detail::save_manifest(*paths, manifest);  // the intent on disk already covers us
  };
  const auto stopped_writing = [&](std::size_t reached, const std::string& why) {
    record_failure(why);
    for (std::size_t j = 0; j < reached; ++j) (*targets)[j].entry.state = manifest.files[j].state;
    ApplyReport report = report_for(*targets, plan, ApplyOutcome::kWriteFailed, false);
    report.failure = why;
    report.manifest_path = paths->manifest.string();
    return report;
  };

  for (std::size_t i = 0; i < targets->size(); ++i) {
    ManifestFile& entry = manifest.files[i];
    if (entry.state == FileState::kInPlace) continue;
    Status written;
    for (const std::string& dir : entry.created_dirs) {
      if (written) written = make_directory(*paths, dir);
    }
    const std::uint32_t uid = entry.existed ? entry.original_uid : ::geteuid();
    const std::uint32_t gid = entry.existed ? entry.original_gid : ::getegid();
    if (written) {
      written = write_file_atomic_owned(detail::host_path(*paths, entry.path),
                                        as_bytes((*targets)[i].planned->content), entry.new_mode,
                                        uid, gid);
    }
    if (!written) return stopped_writing(i, written.error().message);
    entry.state = FileState::kWritten;
    // A manifest we cannot update means the disk is in trouble: stop changing things.
    if (auto saved = detail::save_manifest(*paths, manifest); !saved) {
      return stopped_writing(i + 1, saved.error().message);
    }
    step(ApplyStep::Kind::kFileWritten, entry.path);
  }
  for (std::size_t i = 0; i < targets->size(); ++i) {
    (*targets)[i].entry.state = manifest.files[i].state;
  }
  ApplyReport report = report_for(*targets, plan, ApplyOutcome::kApplied, true);
  report.manifest_path = paths->manifest.string();

  manifest.state = ManifestState::kRunningCommands;
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    ManifestCommand& command = manifest.commands[i];
    CommandReport& line = report.commands[i];
    // Intent first: if we die inside the command, rollback knows it may have run.
    command.state = CommandState::kRunning;
    if (auto saved = detail::save_manifest(*paths, manifest); !saved) {
      report.outcome = ApplyOutcome::kWriteFailed;
      report.failure = saved.error().message;
      record_failure(report.failure);
      return report;
    }
    auto result = options.runner->run(command.argv);
    if (result && result->exit_status == 0) {
      command.state = result->executed ? CommandState::kOk : CommandState::kRecorded;
      command.exit_status = 0;
      line.action = result->executed ? CommandAction::kRun : CommandAction::kRecorded;
      (void)detail::save_manifest(*paths, manifest);
      step(ApplyStep::Kind::kCommandFinished, shell_command_line(command.argv));
      continue;
    }
    command.state = CommandState::kFailed;
    if (result) command.exit_status = result->exit_status;
    line.action = CommandAction::kFailed;
    line.exit_status = result ? result->exit_status : -1;
    line.message =
        result ? fmt::format("exited with status {}", result->exit_status) : result.error().message;
    report.outcome = ApplyOutcome::kCommandFailed;
    report.failure = fmt::format("`{}` {}", shell_command_line(command.argv), line.message);
    record_failure(report.failure);
    step(ApplyStep::Kind::kCommandFinished, shell_command_line(command.argv));
    return report;
  }
  manifest.state = ManifestState::kApplied;
  if (auto saved = detail::save_manifest(*paths, manifest); !saved) {
    report.outcome = ApplyOutcome::kWriteFailed;
    report.failure = saved.error().message;
  }
  return report;
}

}  // namespace periscope::setup
