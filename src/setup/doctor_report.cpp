#include "setup/doctor_report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

// Messages quote the machine's own text; one line each, no terminal escapes.
constexpr std::size_t kMaxShown = 4000;

}  // namespace

nlohmann::ordered_json report_json(const DoctorReport& report) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const Check& check : report.checks) {
    checks.push_back({{"id", check.id},
                      {"status", std::string(check_status_name(check.status))},
                      {"message", printable(check.message, kMaxShown)},
                      {"fix", printable(check.fix, kMaxShown)}});
  }
  nlohmann::ordered_json verdict = {{"can_passthrough", report.verdict.can_passthrough},
                                    {"gpu", nullptr},
                                    {"reason", printable(report.verdict.reason, kMaxShown)}};
  if (report.verdict.gpu) verdict["gpu"] = *report.verdict.gpu;
  return {{"checks", std::move(checks)}, {"verdict", std::move(verdict)}};
}

std::string report_json_text(const DoctorReport& report) {
  return report_json(report).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

std::string report_text(const DoctorReport& report) {
  std::size_t width = 0;
  for (const Check& check : report.checks) width = std::max(width, check.id.size());
  std::string out;
  for (const Check& check : report.checks) {
    std::string status(check_status_name(check.status));
    if (check.status == CheckStatus::kFail) status = "FAIL";
    out += fmt::format("{:<5} {:<{}}  {}", status, check.id, width,
                       printable(check.message, kMaxShown));
    if (!check.fix.empty()) out += " -> fix: " + printable(check.fix, kMaxShown);
    out += '\n';
  }
  const Verdict& v = report.verdict;
  out += fmt::format("\nverdict: {}; gpu: {}\n{}\n",
                     v.can_passthrough ? "can pass a GPU through" : "cannot pass a GPU through yet",
                     v.gpu ? *v.gpu : std::string("none"), printable(v.reason, kMaxShown));
  return out;
}

}  // namespace periscope::setup
