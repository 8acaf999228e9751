#pragma once
// The consumer fuzz harness: decodes one input (see fuzz_input.hpp) into a session between our
// Producer, a hostile guest scribbling on the region, and the Consumer under test, and checks
// the consumer's invariants after every poll. An invariant that breaks aborts the process with
// a message, which libFuzzer (or the replay driver) reports with the input.
#include <cstddef>
#include <cstdint>

namespace periscope::fuzz {

struct HarnessOptions {
  // Check after every input that the region is all zero again (the dirty-page tracking missed
  // nothing). Costs a 4 MiB scan per input; the replay driver turns it on.
  bool verify_restore{false};
  // Keep comparing frames with the model after the producer dropped a frame for a busy slot
  // (finds the producer's "dropped frame without a serial gap" bug; off so fuzzing goes on).
  bool strict_model{false};
  // Print the consumer's statistics after each input (to see how deep an input gets).
  bool trace{false};
};

void configure(const HarnessOptions& options);
void run_input(const std::uint8_t* data, std::size_t size);

}  // namespace periscope::fuzz
