#include "setup/command_runner.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "common/subprocess.hpp"

namespace periscope::setup {

std::string shell_command_line(const std::vector<std::string>& argv) {
  const auto plain = [](const std::string& arg) {
    return !arg.empty() && arg.find_first_not_of(
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                               "vwxyz0123456789_@%+=:,./-") == std::string::npos;
  };
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    if (plain(arg)) {
      line += arg;
      continue;
    }
    line += '\'';
    for (const char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

Result<std::string> find_program(const std::string& name) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "empty program name");
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  // Root's usual PATH: update-initramfs and update-grub live in /usr/sbin.
  const std::string_view path = env != nullptr ? env : "/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string_view dir = path.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = std::string(dir) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return fail(ErrorCode::kNotFound, "{} is not on PATH", name);
}

Result<CommandResult> SubprocessRunner::run(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(ErrorCode::kInvalidArgument, "empty command");
  auto program = find_program(argv[0]);
  if (!program) return tl::unexpected(program.error());
  std::vector<std::string> resolved = argv;
  resolved[0] = *program;
  auto child = Subprocess::spawn(resolved);
  if (!child) return tl::unexpected(child.error());
  if (auto status = child->wait_for(timeout_)) return CommandResult{true, *status};
  const int status = child->terminate();
  return fail(ErrorCode::kTimeout, "{} still ran after {} s and was stopped (status {})", argv[0],
              std::chrono::duration_cast<std::chrono::seconds>(timeout_).count(), status);
}

}  // namespace periscope::setup
