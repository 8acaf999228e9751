#include "common/result.hpp"

#include <cstring>

namespace periscope {

tl::unexpected<Error> fail_errno(int errno_value, std::string what) {
  what += ": ";
  what += std::strerror(errno_value);
  return tl::unexpected(Error{ErrorCode::kIo, std::move(what), errno_value});
}

}  // namespace periscope
