#pragma once
// An owning child process: started with an argv, terminated (SIGTERM, then SIGKILL after a
// grace period) and reaped when the owner goes away. The child also gets SIGTERM if we die.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace periscope {

class Subprocess {
 public:
  // `stdout_path`/`stderr_path`: empty keeps ours.
  static Result<Subprocess> spawn(const std::vector<std::string>& argv,
                                  const std::string& stdout_path = {},
                                  const std::string& stderr_path = {});

  Subprocess() = default;
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running();
  // Waits up to `timeout` for the exit status (as from WEXITSTATUS, or 128 + signal).
  std::optional<int> wait_for(Nanoseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status.
  int terminate(Nanoseconds grace = Milliseconds(2000));
  void signal(int sig) const;

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_{-1};
  std::optional<int> status_;
};

// The directory of the running executable (to find sibling programs).
std::string executable_dir();

}  // namespace periscope
