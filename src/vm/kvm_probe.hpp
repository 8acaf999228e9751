#pragma once
// Whether hardware virtualisation really works here. /dev/kvm existing is not enough: under
// nested virtualisation on these machines KVM_RUN can hang, so the probe runs one real guest
// instruction (`hlt`) in a child process and gives up after a bound.
#include <string>

#include "common/clock.hpp"

namespace periscope::vm {

struct KvmProbe {
  bool usable{false};
  std::string reason;  // why not, or "a test guest ran its first instruction"
};

KvmProbe probe_kvm(Nanoseconds timeout = Milliseconds(2000),
                   const std::string& device = "/dev/kvm");

}  // namespace periscope::vm
