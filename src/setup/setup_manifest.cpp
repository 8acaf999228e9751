#include "setup/setup_manifest.hpp"

#include <array>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "setup/sha256.hpp"

namespace periscope::setup {

namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "periscope-setup-manifest";

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, const char*>, N>& names,
                               std::string_view text) {
  for (const auto& [e, name] : names) {
    if (text == name) return e;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<ManifestState, const char*>, 6> kManifestStates = {{
    {ManifestState::kApplying, "applying"},
    {ManifestState::kRunningCommands, "running_commands"},
    {ManifestState::kApplied, "applied"},
    {ManifestState::kFailed, "failed"},
    {ManifestState::kRollingBack, "rolling_back"},
    {ManifestState::kRolledBack, "rolled_back"},
}};
constexpr std::array<std::pair<FileState, const char*>, 7> kFileStates = {{
    {FileState::kPending, "pending"},
    {FileState::kInPlace, "in_place"},
    {FileState::kWritten, "written"},
    {FileState::kRestored, "restored"},
    {FileState::kRemoved, "removed"},
    {FileState::kUnchanged, "unchanged"},
    {FileState::kConflict, "conflict"},
}};
constexpr std::array<std::pair<CommandState, const char*>, 5> kCommandStates = {{
    {CommandState::kPending, "pending"},
    {CommandState::kRunning, "running"},
    {CommandState::kOk, "ok"},
    {CommandState::kRecorded, "recorded"},
    {CommandState::kFailed, "failed"},
}};
constexpr std::array<std::pair<UndoState, const char*>, 5> kUndoStates = {{
    {UndoState::kNone, "none"},
    {UndoState::kPending, "pending"},
    {UndoState::kOk, "ok"},
    {UndoState::kRecorded, "recorded"},
    {UndoState::kFailed, "failed"},
}};

// Modes as octal text ("0644"): what people expect to read.
std::string mode_text(std::uint32_t mode) {
  return fmt::format("{:04o}", mode);
}

// A typed reader over one JSON object that remembers the first problem with its field path.
class Fields {
 public:
  Fields(const json& object, std::string where, std::string* error)
      : object_(object), where_(std::move(where)), error_(error) {
    if (!object_.is_object()) problem("", "is not an object");
  }

  std::string string(const char* key) {
    const json* v = find(key);
    if (v == nullptr) return {};
    if (!v->is_string()) return problem(key, "is not a string"), std::string{};
    return v->get<std::string>();
  }
  bool boolean(const char* key) {
    const json* v = find(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) return problem(key, "is not true or false"), false;
    return v->get<bool>();
  }
  std::uint64_t unsigned_number(const char* key, std::uint64_t max) {
    const json* v = find(key);
    if (v == nullptr) return 0;
    if (!v->is_number_unsigned() || v->get<std::uint64_t>() > max) {
      return problem(key, "is not a number from 0 to " + std::to_string(max)), 0;
    }
    return v->get<std::uint64_t>();
  }
  std::uint32_t mode(const char* key) {
    const std::string text = string(key);
    if (!ok()) return 0;
    std::uint32_t value = 0;
    bool valid = text.size() == 4;
    for (const char c : text) {
      valid = valid && c >= '0' && c <= '7';
      value = value * 8 + static_cast<std::uint32_t>(c - '0');
    }
    if (!valid) problem(key, "is not a mode like \"0644\"");
    return value;
  }
  std::string digest(const char* key) {
    std::string text = string(key);
    if (ok() && !is_sha256_hex(text)) problem(key, "is not a SHA-256 digest (64 hex digits)");
    return text;
  }
  std::string path(const char* key) {
    std::string text = string(key);
    if (ok() && !is_clean_absolute_path(text)) problem(key, "is not a clean absolute path");
    return text;
  }
  const json& array(const char* key) {
    static const json kEmpty = json::array();
    const json* v = find(key);
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) return problem(key, "is not a list"), kEmpty;
    return *v;
  }
  template <typename Enum, std::size_t N>
  Enum state(const char* key, const std::array<std::pair<Enum, const char*>, N>& names) {
    const std::string text = string(key);
    if (!ok()) return names[0].first;
    if (auto e = parse_name(names, text)) return *e;
    problem(key, "has an unknown value \"" + text.substr(0, 40) + "\"");
    return names[0].first;
  }
  [[nodiscard]] bool ok() const { return error_->empty(); }
  [[nodiscard]] const json& object() const { return object_; }
  void problem(const std::string& key, const std::string& what) {
    if (!error_->empty()) return;
    *error_ = where_ + (key.empty() ? "" : (where_.empty() ? "" : ".") + key) + " " + what;
  }

 private:
  const json* find(const char* key) {
    if (!ok()) return nullptr;
    const auto it = object_.find(key);
    if (it == object_.end()) return problem(key, "is missing"), nullptr;
    return &*it;
  }
  const json& object_;
  std::string where_;
  std::string* error_;
};

ManifestFile parse_file(const json& object, const std::string& where, std::string* error) {
  Fields f(object, where, error);
  ManifestFile file;
  if (!f.ok()) return file;
  file.path = f.path("path");
  file.existed = f.boolean("existed");
  if (file.existed) {
    file.original_sha256 = f.digest("original_sha256");
    file.original_size =
        f.unsigned_number("original_size", std::numeric_limits<std::int64_t>::max());
    file.original_mode = f.mode("original_mode");
    file.original_uid = static_cast<std::uint32_t>(f.unsigned_number("original_uid", 0xffffffffu));
    file.original_gid = static_cast<std::uint32_t>(f.unsigned_number("original_gid", 0xffffffffu));
  }
  file.new_sha256 = f.digest("new_sha256");
  file.new_mode = f.mode("new_mode");
  const json& dirs = f.array("created_dirs");
  for (std::size_t i = 0; f.ok() && i < dirs.size(); ++i) {
    if (!dirs[i].is_string() || !is_clean_absolute_path(dirs[i].get<std::string>())) {
      f.problem("created_dirs[" + std::to_string(i) + "]", "is not a clean absolute path");
      break;
    }
    const std::string dir = dirs[i].get<std::string>();
    // Only ancestors of the file itself: anything else would let a manifest delete any
    // empty directory on the machine.
    if (!file.path.starts_with(dir + "/")) {
      f.problem("created_dirs[" + std::to_string(i) + "]", "is not a parent of " + file.path);
      break;
    }
    file.created_dirs.push_back(dir);
  }
  file.state = f.state("state", kFileStates);
  if (f.ok() && object.contains("conflict_copy")) file.conflict_copy = f.path("conflict_copy");
  return file;
}

// The undo fields. All three are absent in a record written before commands could carry an
// undo: that is a command without one, so such a record still rolls back.
void parse_undo(Fields& f, ManifestCommand& command) {
  const json& object = f.object();
  if (f.ok() && object.contains("undo")) {
    const json& undo = f.array("undo");
    for (std::size_t i = 0; f.ok() && i < undo.size(); ++i) {
      if (!undo[i].is_string()) {
        f.problem("undo[" + std::to_string(i) + "]", "is not a string");
        break;
      }
      command.undo.push_back(undo[i].get<std::string>());
    }
    if (f.ok()) {
      if (const auto bad = undo_argv_problem(command.undo)) {
        f.problem("undo[" + std::to_string(bad->index) + "]", bad->what);
      }
    }
  }
  if (f.ok() && object.contains("undo_state")) {
    command.undo_state = f.state("undo_state", kUndoStates);
  }
  if (!f.ok()) return;
  // The state must agree with the argv: rollback decides from the state whether to run it.
  if (command.undo.empty() && command.undo_state != UndoState::kNone) {
    f.problem("undo_state", fmt::format("is \"{}\" but there is no undo",
                                        name_of(kUndoStates, command.undo_state)));
    return;
  }
  if (!command.undo.empty() && command.undo_state == UndoState::kNone) {
    f.problem("undo_state", "is missing or \"none\" but there is an undo");
    return;
  }
  const bool undo_ran =
      command.undo_state != UndoState::kNone && command.undo_state != UndoState::kPending;
  if (undo_ran && command.state == CommandState::kPending) {
    f.problem("undo_state", "says the undo ran, but the command never started");
    return;
  }
  if (object.contains("undo_exit_status")) {
    if (!undo_ran) {
      f.problem("undo_exit_status", "is given but the undo has not run");
      return;
    }
    command.undo_exit_status = static_cast<int>(f.unsigned_number("undo_exit_status", 255));
  }
}

ManifestCommand parse_command(const json& object, const std::string& where, std::string* error) {
  Fields f(object, where, error);
  ManifestCommand command;
  if (!f.ok()) return command;
  const json& argv = f.array("argv");
  for (std::size_t i = 0; f.ok() && i < argv.size(); ++i) {
    if (!argv[i].is_string()) {
      f.problem("argv[" + std::to_string(i) + "]", "is not a string");
      break;
    }
    command.argv.push_back(argv[i].get<std::string>());
  }
  if (f.ok() && command.argv.empty()) f.problem("argv", "is empty");
  command.regenerate = f.boolean("regenerate");
  command.state = f.state("state", kCommandStates);
  if (f.ok() && object.contains("exit_status")) {
    command.exit_status = static_cast<int>(f.unsigned_number("exit_status", 255));
  }
  parse_undo(f, command);
  return command;
}

}  // namespace

bool is_clean_absolute_path(std::string_view path) {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string backup_name(std::size_t index) {
  return fmt::format("backups/{}.orig", index);
}

const char* state_name(ManifestState state) {
  return name_of(kManifestStates, state);
}
const char* state_name(FileState state) {
  return name_of(kFileStates, state);
}
const char* state_name(CommandState state) {
  return name_of(kCommandStates, state);
}
const char* state_name(UndoState state) {
  return name_of(kUndoStates, state);
}

std::optional<ArgvProblem> undo_argv_problem(const std::vector<std::string>& undo) {
  for (std::size_t i = 0; i < undo.size(); ++i) {
    if (undo[i].empty()) return ArgvProblem{i, "is an empty string"};
    if (undo[i].find('\0') != std::string::npos) return ArgvProblem{i, "holds a NUL byte"};
  }
  return std::nullopt;
}

std::string manifest_json_text(const Manifest& manifest) {
  json files = json::array();
  for (std::size_t i = 0; i < manifest.files.size(); ++i) {
    const ManifestFile& file = manifest.files[i];
    json entry = {{"path", file.path}, {"existed", file.existed}};
    if (file.existed) {
      entry["original_sha256"] = file.original_sha256;
      entry["original_size"] = file.original_size;
      entry["original_mode"] = mode_text(file.original_mode);
      entry["original_uid"] = file.original_uid;
      entry["original_gid"] = file.original_gid;
      entry["backup"] = backup_name(i);  // for people; rollback derives it from the index
    }
    entry["new_sha256"] = file.new_sha256;
    entry["new_mode"] = mode_text(file.new_mode);
    entry["created_dirs"] = file.created_dirs;
    entry["state"] = state_name(file.state);
    if (!file.conflict_copy.empty()) entry["conflict_copy"] = file.conflict_copy;
    files.push_back(std::move(entry));
  }
  json commands = json::array();
  for (const ManifestCommand& command : manifest.commands) {
    json entry = {{"argv", command.argv},
                  {"regenerate", command.regenerate},
                  {"state", state_name(command.state)}};
    if (command.exit_status) entry["exit_status"] = *command.exit_status;
    entry["undo"] = command.undo;
    entry["undo_state"] = state_name(command.undo_state);
    if (command.undo_exit_status) entry["undo_exit_status"] = *command.undo_exit_status;
    commands.push_back(std::move(entry));
  }
  const json document = {{"format", kFormat},
                         {"version", kManifestVersion},
                         {"root", manifest.root},
                         {"plan_sha256", manifest.plan_sha256},
                         {"started_at", manifest.started_at},
                         {"state", state_name(manifest.state)},
                         {"failure", manifest.failure},
                         {"files", std::move(files)},
                         {"commands", std::move(commands)}};
  // Replace invalid UTF-8 (a hostile argv byte) instead of throwing.
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<Manifest> parse_manifest(std::string_view text) {
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kProtocol, "the setup manifest is not valid JSON");
  }
  std::string error;
  Fields top(document, "", &error);
  Manifest manifest;
  if (top.ok() && top.string("format") != kFormat) {
    top.problem("format", "is not \"periscope-setup-manifest\"");
  }
  if (top.ok() && top.unsigned_number("version", 1000) != kManifestVersion) {
    top.problem("version", "is not " + std::to_string(kManifestVersion) + " (the one we read)");
  }
  if (top.ok()) manifest.root = top.string("root");
  if (top.ok() && manifest.root != "/" && !is_clean_absolute_path(manifest.root)) {
    top.problem("root", "is not a clean absolute path");
  }
  if (top.ok()) manifest.plan_sha256 = top.digest("plan_sha256");
  if (top.ok()) manifest.started_at = top.string("started_at");
  if (top.ok()) manifest.state = top.state("state", kManifestStates);
  if (top.ok()) manifest.failure = top.string("failure");
  const json& files = top.array("files");
  for (std::size_t i = 0; top.ok() && i < files.size(); ++i) {
    manifest.files.push_back(parse_file(files[i], "files[" + std::to_string(i) + "]", &error));
  }
  const json& commands = top.array("commands");
  for (std::size_t i = 0; top.ok() && i < commands.size(); ++i) {
    manifest.commands.push_back(
        parse_command(commands[i], "commands[" + std::to_string(i) + "]", &error));
  }
  for (std::size_t i = 0; top.ok() && i < manifest.files.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (manifest.files[i].path == manifest.files[j].path) {
        top.problem("files[" + std::to_string(i) + "].path", "names a file twice");
        break;
      }
    }
  }
  if (!error.empty()) return fail(ErrorCode::kProtocol, "the setup manifest's {}", error);
  return manifest;
}

}  // namespace periscope::setup
