#pragma once
// `periscope doctor`: reads a machine, judges what it read, answers "can this machine pass a
// GPU through, and which one". Reads only; never writes, never runs a program.
#include "setup/doctor_check.hpp"
#include "setup/doctor_gpu_choice.hpp"
#include "setup/machine_facts.hpp"
#include "setup/machine_reader.hpp"

namespace periscope::setup {

// The checks and the verdict for facts already read (tests feed it edited facts).
[[nodiscard]] DoctorReport diagnose(const MachineFacts& facts);

[[nodiscard]] DoctorReport run_doctor(const MachineReader& reader);

// The overall answer from the choice of GPU and the checks' outcomes.
[[nodiscard]] Verdict make_verdict(const MachineFacts& facts, const GpuChoice& choice,
                                   const std::vector<Check>& checks);

}  // namespace periscope::setup
