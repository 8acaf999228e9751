#pragma once
// Whole-file reads with a size cap (input files are hostile: a wrong path must not make us
// read a disk image into memory) and atomic whole-file writes (temp file + fsync + rename, so
// a crash leaves either the old file or the new one, never half of one).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace periscope {

// Reads the whole file; fails when it holds more than `max_bytes` (the message names both).
Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path, std::size_t max_bytes);

// Writes `bytes` to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs the
// directory. The file gets exactly `mode` (the umask does not apply).
Status write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes,
                         unsigned mode = 0644);

// The same for text (statistics JSON, reports).
Status write_text_atomic(const std::string& path, std::string_view text, unsigned mode = 0644);

// write_file_atomic that also gives the file an owner: the setup assistant replaces files in
// /etc and must leave them owned as they were. chown happens only when `uid`/`gid` differ from
// the temp file's (ours), so keeping our own files ours needs no privilege; the mode is set
// after the chown because chown clears set-user-ID bits.
Status write_file_atomic_owned(const std::string& path, std::span<const std::uint8_t> bytes,
                               unsigned mode, unsigned uid, unsigned gid);

// fsync of a directory: makes the entries created, renamed or removed in it durable.
Status fsync_directory(const std::string& path);

}  // namespace periscope
