#pragma once
// SHA-256 (FIPS 180-4) of a byte string, for the setup manifest: it proves a backup is the
// original byte for byte and tells "the file we wrote" from "a file someone edited since".
// OpenSSL's libcrypto computes it (a well-kept implementation; Debian's libssl-dev).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace periscope::setup {

using Sha256Digest = std::array<std::uint8_t, 32>;

[[nodiscard]] Sha256Digest sha256(std::span<const std::uint8_t> bytes);

// Lower-case hex, 64 characters (the form the manifest stores and sha256sum prints).
[[nodiscard]] std::string sha256_hex(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::string sha256_hex(std::string_view text);

// True for exactly 64 lower-case hex digits (a manifest field we can trust as a digest).
[[nodiscard]] bool is_sha256_hex(std::string_view text);

}  // namespace periscope::setup
