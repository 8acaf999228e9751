// libFuzzer entry point for the Scream parsers and readers (scream_harness.hpp).
#include <cstddef>
#include <cstdint>

#include "scream_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  periscope::fuzz::run_scream_input(data, size);
  return 0;
}
