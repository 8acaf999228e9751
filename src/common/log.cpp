#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace periscope {

void init_logging(std::string_view program, std::string_view level) {
  auto logger = spdlog::stderr_color_mt(std::string(program));
  logger->set_pattern("[%n] %^%l%$: %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace periscope
