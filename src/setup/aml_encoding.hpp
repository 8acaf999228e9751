#pragma once
// The few AML (ACPI Machine Language) encodings a small SSDT needs, written so that the output
// is byte-identical to what iasl emits for the same ASL (iasl's "optimizations": literals 0, 1
// and all-ones become ZeroOp/OneOp/OnesOp, and every integer takes the smallest prefix).
// Inputs are our own constants, not user data: names must be valid ACPI names.
#include <cstdint>
#include <string_view>
#include <vector>

namespace periscope::setup::aml {

using Bytes = std::vector<std::uint8_t>;

// PkgLength (counts its own bytes too) followed by `body`.
Bytes with_pkg_length(const Bytes& body);

// A NameString: optional leading '\' (root) or '^' (parent) prefixes, then dot-separated
// segments of up to 4 characters, padded with '_' ("\_SB" -> 5C "_SB_").
Bytes name_string(std::string_view path);

// An integer constant with the smallest encoding (ZeroOp, OneOp, OnesOp, Byte/Word/DWord/QWord).
Bytes integer(std::uint64_t value);

// A string constant: StringPrefix, the ASCII bytes, NUL.
Bytes string(std::string_view text);

// EisaId("PNP0C0A"): three letters compressed into 15 bits, then four hex digits, stored as a
// DWord whose bytes read big-endian.
Bytes eisa_id(std::string_view id);

// Name(name, value)
Bytes name(std::string_view path, const Bytes& value);
// Package(){elements...}; each element is already encoded (an integer, a string, a name).
Bytes package(const std::vector<Bytes>& elements);
// Method(name, arg_count, NotSerialized){body}
Bytes method(std::string_view path, std::uint8_t arg_count, const Bytes& body);
// Return(value)
Bytes return_value(const Bytes& value);
// Device(name){body}
Bytes device(std::string_view path, const Bytes& body);
// Scope(name){body}
Bytes scope(std::string_view path, const Bytes& body);

// Appends `tail` to `head` (the building block of every TermList).
void append(Bytes& head, const Bytes& tail);

struct TableHeader {
  std::string_view signature{};     // 4 characters, e.g. "SSDT"
  std::uint8_t revision{2};         // 1: 32-bit integers; 2 and up: 64-bit
  std::string_view oem_id{};        // up to 6 characters, NUL padded
  std::string_view oem_table_id{};  // up to 8 characters, NUL padded
  std::uint32_t oem_revision{1};
  std::string_view creator_id{};  // 4 characters
  std::uint32_t creator_revision{0};
};

// The 36-byte ACPI table header followed by `body`, with Length and Checksum filled in (all
// bytes of the table sum to 0 mod 256).
Bytes definition_block(const TableHeader& header, const Bytes& body);

}  // namespace periscope::setup::aml
