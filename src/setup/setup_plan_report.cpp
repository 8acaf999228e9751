#include "setup/setup_plan_report.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "common/file_bytes.hpp"
#include "setup/command_runner.hpp"
#include "setup/machine_text.hpp"
#include "setup/unified_diff.hpp"

namespace periscope::setup {

namespace {

// A command as a shell would need it typed: words with blanks or quotes single-quoted.

const std::optional<std::string>& original_of(const PlanOutcome& outcome, const std::string& path) {
  static const std::optional<std::string> kNone;
  const auto it = outcome.originals.find(path);
  return it == outcome.originals.end() ? kNone : it->second;
}

}  // namespace

std::string plan_text(const PlanOutcome& outcome) {
  std::string out;
  for (const std::string& line : outcome.summary) out += line + "\n";
  if (outcome.refused()) {
    out += "\n" + outcome.refusal + "\n";
    return out;
  }
  for (const std::string& warning : outcome.plan.warnings) out += "\nWARNING: " + warning + "\n";
  out += fmt::format("\nFiles to write ({}):\n", outcome.plan.files.size());
  for (const PlannedFile& file : outcome.plan.files) {
    const bool is_new = !original_of(outcome, file.path).has_value();
    out +=
        fmt::format("  {} ({}{:04o}): {}\n", file.path, is_new ? "new, " : "", file.mode, file.why);
  }
  for (const PlannedFile& file : outcome.plan.files) {
    out += "\n" + unified_diff(original_of(outcome, file.path), file.content, file.path);
  }
  out += fmt::format("\nCommands, in order, after the files are written ({}):\n",
                     outcome.plan.commands.size());
  for (std::size_t i = 0; i < outcome.plan.commands.size(); ++i) {
    const PlannedCommand& command = outcome.plan.commands[i];
    out += fmt::format("  {}. {}\n     {}\n", i + 1, shell_command_line(command.argv), command.why);
    if (!command.undo.empty()) {
      out += fmt::format("     rollback undoes it: {}\n", shell_command_line(command.undo));
    }
  }
  if (!outcome.unchanged.empty()) {
    out += "\nAlready as planned (not written): " + join(outcome.unchanged, ", ") + "\n";
  }
  out += "\nThen:\n";
  for (const std::string& step : outcome.next_steps) out += "  - " + step + "\n";
  return out;
}

nlohmann::json plan_json(const PlanOutcome& outcome) {
  nlohmann::json json;
  json["refused"] = outcome.refused();
  json["refusal"] = outcome.refusal;
  if (outcome.gpu) {
    json["gpu"] = {{"address", outcome.gpu->gpu},
                   {"description", outcome.gpu->description},
                   {"functions", outcome.gpu->functions},
                   {"ids", outcome.gpu->ids}};
  } else {
    json["gpu"] = nullptr;
  }
  json["summary"] = outcome.summary;
  json["warnings"] = outcome.plan.warnings;
  json["files"] = nlohmann::json::array();
  for (const PlannedFile& file : outcome.plan.files) {
    const auto& original = original_of(outcome, file.path);
    json["files"].push_back({{"path", file.path},
                             {"mode", fmt::format("{:04o}", file.mode)},
                             {"why", file.why},
                             {"new", !original.has_value()},
                             {"content", file.content},
                             {"diff", unified_diff(original, file.content, file.path)}});
  }
  json["commands"] = nlohmann::json::array();
  for (const PlannedCommand& command : outcome.plan.commands) {
    json["commands"].push_back({{"argv", command.argv},
                                {"why", command.why},
                                {"regenerate", command.regenerate},
                                {"undo", command.undo}});
  }
  json["unchanged"] = outcome.unchanged;
  json["next_steps"] = outcome.next_steps;
  return json;
}

Result<std::size_t> write_plan_files(const SetupPlan& plan, const std::string& dir) {
  std::size_t written = 0;
  for (const PlannedFile& file : plan.files) {
    // Paths come from our generators (absolute, no ".."), but check before joining anyway.
    if (!starts_with(file.path, "/") || file.path.find("/../") != std::string::npos) {
      return fail(ErrorCode::kInvalidArgument, "refusing to write odd path {}", file.path);
    }
    const std::filesystem::path target = std::filesystem::path(dir) / file.path.substr(1);
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
    if (ec) {
      return fail(ErrorCode::kIo, "cannot create {}: {}", target.parent_path().string(),
                  ec.message());
    }
    if (auto status = write_text_atomic(target.string(), file.content, file.mode); !status) {
      return tl::unexpected(status.error());
    }
    ++written;
  }
  return written;
}

}  // namespace periscope::setup
