#pragma once
// Laptops wire their GPUs one of two ways. MUXed: a switch (or a port) connects the NVIDIA/AMD
// dGPU to a real output, so a guest gets a real display. MUXless (Optimus without a mux): the
// dGPU only renders and the iGPU drives every output, so the guest has no display of its own.
// From the host we can only guess; the guess says how it was made.
#include <string>

#include "setup/doctor_gpu_choice.hpp"
#include "setup/machine_facts.hpp"

namespace periscope::setup {

enum class LaptopKind { kNotLaptop, kLikelyMuxed, kPossiblyMuxed, kLikelyMuxless, kUnknown };

struct LaptopTopology {
  LaptopKind kind{LaptopKind::kNotLaptop};
  std::string guess;    // one sentence: what we think and from which evidence
  std::string meaning;  // what it means for the guest's output, with the caveat
};

// SMBIOS chassis types 8-10, 14, 31, 32 (portable, laptop, notebook, sub-notebook,
// convertible, detachable), or a battery when the chassis type is missing.
[[nodiscard]] bool is_laptop(const HostFacts& host);

[[nodiscard]] LaptopTopology guess_laptop_topology(const HostFacts& host, const GpuChoice& choice);

}  // namespace periscope::setup
