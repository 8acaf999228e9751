#pragma once
// Helpers for tests that run our programs as separate processes over real /dev/shm files.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/subprocess.hpp"

namespace periscope::testing {

// A file under /dev/shm (or the temp dir) removed when the test ends.
class TempPath {
 public:
  explicit TempPath(const std::string& name, const std::string& dir = "/dev/shm")
      : path_(dir + "/periscope-test-" + std::to_string(::getpid()) + "-" + name) {
    std::filesystem::remove(path_);
  }
  ~TempPath() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    std::filesystem::remove(path_ + ".tmp", ec);
  }
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  [[nodiscard]] const std::string& str() const { return path_; }
  // Makes it a sparse file of `bytes` (like `truncate -s`).
  void resize(std::uint64_t bytes) const {
    { std::ofstream touch(path_, std::ios::app); }
    std::filesystem::resize_file(path_, bytes);
  }

 private:
  std::string path_;
};

inline std::string bin(const std::string& program) {
  return executable_dir() + "/" + program;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_file(path));
}

struct RunResult {
  int status;
  std::string output;  // stdout and stderr
};

// Runs a program to completion (killed after `timeout`) and returns its status and output.
inline RunResult run(const std::vector<std::string>& argv, Nanoseconds timeout) {
  TempPath log("run-" + std::to_string(reinterpret_cast<std::uintptr_t>(&argv)), "/tmp");
  auto child = Subprocess::spawn(argv, log.str(), log.str());
  if (!child) return {255, child.error().message};
  auto status = child->wait_for(timeout);
  const int code = status ? *status : child->terminate();
  return {status ? code : 124, read_file(log.str())};
}

}  // namespace periscope::testing
