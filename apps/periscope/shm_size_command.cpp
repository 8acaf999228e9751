// `periscope shm-size WxH [--hdr] [--json]`: the shared memory size for a guest resolution.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common/log.hpp"
#include "setup/shm_size.hpp"

namespace periscope::app {

namespace {

struct ShmSizeArgs {
  std::string resolution;
  bool hdr{false};
  bool json{false};
};

int run_shm_size(const ShmSizeArgs& args) {
  auto size = setup::shm_size_for(args.resolution, args.hdr);
  if (!size) {
    spdlog::error("{}", size.error().message);
    return 2;
  }
  if (args.json) {
    std::puts(setup::shm_size_json(*size).dump(2).c_str());
  } else {
    std::fputs(setup::shm_size_text(*size).c_str(), stdout);
  }
  return 0;
}

}  // namespace

void add_shm_size_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "shm-size", "the Looking Glass shared memory size for a resolution, and kvmfr's to match");
  auto args = std::make_shared<ShmSizeArgs>();
  command->add_option("resolution", args->resolution, "guest resolution, e.g. 2560x1440")
      ->required();
  command->add_flag("--hdr", args->hdr, "size for HDR (8 bytes per pixel)");
  command->add_flag("--json", args->json, "print the result as JSON");
  command->callback([args, &exit_code] { exit_code = run_shm_size(*args); });
}

}  // namespace periscope::app
