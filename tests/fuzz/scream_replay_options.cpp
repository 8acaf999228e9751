// replay_main.cpp is shared with consumer_fuzz and sets that harness's options; the Scream
// harness has none, so for scream_fuzz_replay they are accepted and ignored.
#include "consumer_harness.hpp"

namespace periscope::fuzz {

void configure(const HarnessOptions& /*options*/) {}

}  // namespace periscope::fuzz
