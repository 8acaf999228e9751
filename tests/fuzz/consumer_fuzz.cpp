// libFuzzer entry points for the consumer harness (consumer_harness.hpp): the region the
// consumer reads is built from each input, starting from a valid producer session.
// Environment: PERISCOPE_FUZZ_VERIFY_RESTORE=1 checks the region is zero again after each input;
// PERISCOPE_FUZZ_STRICT=1 keeps checking frames after a producer drop; PERISCOPE_FUZZ_TRACE=1
// prints the consumer's statistics after each input (see HarnessOptions).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "consumer_harness.hpp"

namespace {

bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && std::strcmp(value, "0") != 0 && value[0] != '\0';
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  periscope::fuzz::configure({.verify_restore = env_flag("PERISCOPE_FUZZ_VERIFY_RESTORE"),
                              .strict_model = env_flag("PERISCOPE_FUZZ_STRICT"),
                              .trace = env_flag("PERISCOPE_FUZZ_TRACE")});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  periscope::fuzz::run_input(data, size);
  return 0;
}
