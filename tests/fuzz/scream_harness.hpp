#pragma once
// The Scream fuzz harness: one input drives either the UDP path (datagrams -> parser -> frame
// assembler -> PCM round trip -> jitter buffer) or the IVSHMEM reader over a region the input
// scribbles on, while our writer may run a real stream in it. Invariants that break abort the
// process with a message (libFuzzer, or the replay driver, reports the input).
//
// Input format (every byte string is valid; reads past the end give 0):
//   [0] mode: even = UDP, odd = IVSHMEM
//   UDP: then datagrams, each a u16 length (mod 1200) and that many bytes.
//   IVSHMEM: u16 region size in 64-byte units (1 + n % 1024), then operations, each an opcode
//   byte (mod 6) and its arguments:
//     0 poll
//     1 set a header field: u8 field (mod 9), u32 value (cut to the field's width)
//     2 write bytes: u16 offset (mod size), u8 n, n bytes
//     3 start our writer: u8 rate byte, u8 bits, u8 channels (ignored when invalid)
//     4 writer writes u16 n bytes of PCM
//     5 writer stops (zeroes the header)
#include <cstddef>
#include <cstdint>

namespace periscope::fuzz {

void run_scream_input(const std::uint8_t* data, std::size_t size);

}  // namespace periscope::fuzz
