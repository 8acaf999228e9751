#pragma once
// A RomReport for people (one line per image, then the findings) and for scripts (JSON).
#include <string>

#include <nlohmann/json.hpp>

#include "setup/rom_chain.hpp"

namespace periscope::setup {

std::string rom_report_text(const RomReport& report);

// {"file_bytes", "start_offset", "start_source", "nvgi_version" (or null), "images": [{"offset",
// "length_bytes", "code_type", "code_type_name", "vendor_id", "device_id", "class_code",
// "pcir_last", "npde": {"last", "length_bytes"} or null, "legacy_checksum_ok" (or null),
// "efi": {"signature_ok", "machine_type", "machine", "subsystem", "compressed"} or null}],
// "firmware_chain_end" (or null), "images_end", "efi_x64_present", "ok",
// "findings": [{"severity": "error|warning|note", "offset", "message"}]}. IDs are 4-digit hex
// strings ("10de"), offsets numbers.
nlohmann::json rom_report_json(const RomReport& report);

std::string rom_start_source_name(RomStartSource source);

}  // namespace periscope::setup
