#pragma once
// The doctor's report for people (one line per check) and for scripts (JSON:
// {"checks": [{"id", "status", "message", "fix"}],
//  "verdict": {"can_passthrough", "gpu", "reason"}}).
#include <string>

#include <nlohmann/json.hpp>

#include "setup/doctor_check.hpp"

namespace periscope::setup {

// Keys in the documented order (ordered_json keeps insertion order).
[[nodiscard]] nlohmann::ordered_json report_json(const DoctorReport& report);
// The JSON as text; bytes that are not UTF-8 are replaced, never thrown about.
[[nodiscard]] std::string report_json_text(const DoctorReport& report);
// "ok    iommu.kernel  <message>" with " -> fix: <fix>" when there is one, then the verdict.
[[nodiscard]] std::string report_text(const DoctorReport& report);

}  // namespace periscope::setup
