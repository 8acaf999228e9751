#pragma once
// The doctor's output: one verdict per check, and the overall answer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace periscope::setup {

enum class CheckStatus { kOk, kWarn, kFail, kNotApplicable };

// "ok", "warn", "fail", "n/a" — the JSON spelling.
[[nodiscard]] std::string_view check_status_name(CheckStatus status);

struct Check {
  std::string id;  // stable, dotted: "iommu.kernel"
  CheckStatus status{CheckStatus::kNotApplicable};
  std::string message;  // what was found
  std::string fix;      // what to do about it; "" when nothing
};

struct Verdict {
  bool can_passthrough{false};
  // The GPU the doctor would pass through ("0000:01:00.0"); nullopt when it refuses to pick
  // one (none, the only GPU, the boot GPU, a dirty IOMMU group).
  std::optional<std::string> gpu;
  std::string reason;
};

struct DoctorReport {
  std::vector<Check> checks;
  Verdict verdict;

  [[nodiscard]] const Check* find(std::string_view id) const;
};

// Shorthands for building checks.
[[nodiscard]] Check ok(std::string id, std::string message);
[[nodiscard]] Check warn(std::string id, std::string message, std::string fix);
[[nodiscard]] Check failed(std::string id, std::string message, std::string fix);
[[nodiscard]] Check not_applicable(std::string id, std::string message);

}  // namespace periscope::setup
