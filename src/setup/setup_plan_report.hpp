#pragma once
// How a plan is shown: the text a person reads before `setup apply` (each file as a unified
// diff, each command in order), the JSON a script reads, and the files written under --out.
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "setup/setup_planner.hpp"

namespace periscope::setup {

[[nodiscard]] std::string plan_text(const PlanOutcome& outcome);
// {"refused", "refusal", "gpu": {"address", "description", "functions", "ids"} | null,
//  "summary", "warnings", "files": [{"path", "mode", "why", "new", "content", "diff"}],
//  "commands": [{"argv", "why", "regenerate"}], "unchanged", "next_steps"}
[[nodiscard]] nlohmann::json plan_json(const PlanOutcome& outcome);
// Writes each planned file under `dir` at its target path (dir/etc/modprobe.d/...), with its
// mode. Returns how many were written.
[[nodiscard]] Result<std::size_t> write_plan_files(const SetupPlan& plan, const std::string& dir);

}  // namespace periscope::setup
