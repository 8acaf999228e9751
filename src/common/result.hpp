#pragma once
// Errors as values: every fallible call returns Result<T>, never throws on a hot path.
#include <string>
#include <utility>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace periscope {

enum class ErrorCode {
  kIo,  // a system call failed; errno_value says why
  kInvalidArgument,
  kNotFound,
  kTooSmall,  // a region or buffer is smaller than what is needed
  kVersionMismatch,
  kProtocol,  // the peer broke the format's rules (hostile or corrupt shared memory)
  kTimeout,
  kBusy,
  kUnsupported,
};

struct Error {
  ErrorCode code{ErrorCode::kIo};
  std::string message;
  int errno_value{0};
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

template <typename... Args>
[[nodiscard]] tl::unexpected<Error> fail(ErrorCode code, fmt::format_string<Args...> format,
                                         Args&&... args) {
  return tl::unexpected(Error{code, fmt::format(format, std::forward<Args>(args)...), 0});
}

// For a failed system call: appends strerror(errno) to the message.
[[nodiscard]] tl::unexpected<Error> fail_errno(int errno_value, std::string what);

}  // namespace periscope
