#include "setup/doctor_check.hpp"

namespace periscope::setup {

std::string_view check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kWarn:
      return "warn";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kNotApplicable:
      return "n/a";
  }
  return "n/a";
}

const Check* DoctorReport::find(std::string_view id) const {
  for (const Check& check : checks) {
    if (check.id == id) return &check;
  }
  return nullptr;
}

Check ok(std::string id, std::string message) {
  return {std::move(id), CheckStatus::kOk, std::move(message), {}};
}

Check warn(std::string id, std::string message, std::string fix) {
  return {std::move(id), CheckStatus::kWarn, std::move(message), std::move(fix)};
}

Check failed(std::string id, std::string message, std::string fix) {
  return {std::move(id), CheckStatus::kFail, std::move(message), std::move(fix)};
}

Check not_applicable(std::string id, std::string message) {
  return {std::move(id), CheckStatus::kNotApplicable, std::move(message), {}};
}

}  // namespace periscope::setup
