#pragma once
// Logging goes through spdlog; this only sets it up the same way in every program.
#include <spdlog/spdlog.h>

#include <string_view>

namespace periscope {

// Logs to stderr as "[program] level: message"; level is trace|debug|info|warn|error|off.
void init_logging(std::string_view program, std::string_view level = "info");

}  // namespace periscope
