#pragma once
// The fake-battery SSDT that keeps NVIDIA's laptop driver from failing with Code 43 in a guest:
// without a battery it assumes a desktop GPU and refuses the mobile part. Passed to QEMU with
// `-acpitable file=...`.
#include <cstdint>
#include <vector>

namespace periscope::setup {

// An AC adapter (ADP1, online) and a full, idle 10000 mWh battery (BAT0) under \_SB: the table
// guide 004 writes by hand as battery.dsl, encoded as the exact bytes iasl 20200925 produces
// for it (221 bytes), checksum included.
std::vector<std::uint8_t> fake_battery_ssdt();

}  // namespace periscope::setup
