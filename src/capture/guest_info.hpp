#pragma once
// The VMINFO/OSINFO records a capture agent advertises, read from the machine it runs on.
#include <string_view>

#include "relay/kvmfr_udata.hpp"

namespace periscope::capture {

// hostver names us; `capture_name` is the source (e.g. "test-pattern").
b7::KvmfrInfo describe_this_machine(std::string_view capture_name);

}  // namespace periscope::capture
