#include "setup/rom_report.hpp"

namespace periscope::setup {

namespace {

std::string severity_name(RomFinding::Severity severity) {
  switch (severity) {
    case RomFinding::Severity::kError:
      return "error";
    case RomFinding::Severity::kWarning:
      return "warning";
    case RomFinding::Severity::kNote:
      return "note";
  }
  return "note";
}

std::string hex4(std::uint16_t id) {
  return fmt::format("{:04x}", id);
}

std::string image_kind(const RomImage& image) {
  std::string kind = rom_code_type_name(image.code_type);
  if (image.efi) {
    kind += " " + efi_machine_name(image.efi->machine_type);
    if (image.efi->compression_type != 0) kind += " (compressed)";
  }
  return kind;
}

std::string image_line(const RomImage& image, std::size_t index) {
  std::string line = fmt::format("  image {} at {:#08x}: {}, {}:{} class {:06x}, {:#x} bytes",
                                 index, image.offset, image_kind(image), hex4(image.vendor_id),
                                 hex4(image.device_id), image.class_code, image.image_bytes);
  if (image.legacy_checksum_ok)
    line += *image.legacy_checksum_ok ? ", checksum ok" : ", BAD checksum";
  if (image.npde) line += fmt::format(", NPDE{}", image.npde->last ? " last" : "");
  if (image.pcir_last) line += ", PCIR last";
  return line;
}

}  // namespace

std::string rom_start_source_name(RomStartSource source) {
  switch (source) {
    case RomStartSource::kOffsetZero:
      return "offset-zero";
    case RomStartSource::kNvgiHeader:
      return "nvgi-header";
    case RomStartSource::kAlignedScan:
      return "aligned-scan";
    case RomStartSource::kUnalignedScan:
      return "unaligned-scan";
  }
  return "offset-zero";
}

std::string rom_report_text(const RomReport& report) {
  std::string text = fmt::format("{:#x} bytes; first image at {:#x} ({})\n", report.file_bytes,
                                 report.start_offset, rom_start_source_name(report.start_source));
  for (std::size_t i = 0; i < report.images.size(); ++i) {
    text += image_line(report.images[i], i) + "\n";
  }
  text += fmt::format("EFI x64 image: {}\n", report.has_efi_x64 ? "yes" : "NO");
  if (report.firmware_chain_end) {
    text += fmt::format("firmware-visible chain ends at {:#x}; ", *report.firmware_chain_end);
  } else {
    text += "no image has the PCIR last flag; ";
  }
  text += fmt::format("images end at {:#x}\n", report.images_end);
  for (const auto& finding : report.findings) {
    text += fmt::format("{}: {}\n", severity_name(finding.severity), finding.message);
  }
  const auto count = [](std::size_t n, std::string_view what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
  };
  text += report.ok() ? fmt::format("OK ({})\n", count(report.warning_count(), "warning"))
                      : fmt::format("FAILED: {}, {}\n", count(report.error_count(), "error"),
                                    count(report.warning_count(), "warning"));
  return text;
}

nlohmann::json rom_report_json(const RomReport& report) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& image : report.images) {
    nlohmann::json entry = {
        {"offset", image.offset},
        {"length_bytes", image.image_bytes},
        {"code_type", image.code_type},
        {"code_type_name", rom_code_type_name(image.code_type)},
        {"vendor_id", hex4(image.vendor_id)},
        {"device_id", hex4(image.device_id)},
        {"class_code", fmt::format("{:06x}", image.class_code)},
        {"pcir_last", image.pcir_last},
        {"npde", nullptr},
        {"legacy_checksum_ok", nullptr},
        {"efi", nullptr},
    };
    if (image.npde) {
      entry["npde"] = {{"last", image.npde->last}, {"length_bytes", image.npde->image_bytes}};
    }
    if (image.legacy_checksum_ok) entry["legacy_checksum_ok"] = *image.legacy_checksum_ok;
    if (image.efi) {
      entry["efi"] = {{"signature_ok", image.efi->signature_ok},
                      {"machine_type", fmt::format("{:04x}", image.efi->machine_type)},
                      {"machine", efi_machine_name(image.efi->machine_type)},
                      {"subsystem", image.efi->subsystem},
                      {"compressed", image.efi->compression_type != 0}};
    }
    images.push_back(std::move(entry));
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& finding : report.findings) {
    findings.push_back({{"severity", severity_name(finding.severity)},
                        {"offset", finding.offset},
                        {"message", finding.message}});
  }
  nlohmann::json json = {
      {"file_bytes", report.file_bytes},
      {"start_offset", report.start_offset},
      {"start_source", rom_start_source_name(report.start_source)},
      {"nvgi_version", nullptr},
      {"images", std::move(images)},
      {"firmware_chain_end", nullptr},
      {"images_end", report.images_end},
      {"efi_x64_present", report.has_efi_x64},
      {"ok", report.ok()},
      {"findings", std::move(findings)},
  };
  if (report.nvgi) json["nvgi_version"] = report.nvgi->version;
  if (report.firmware_chain_end) json["firmware_chain_end"] = *report.firmware_chain_end;
  return json;
}

}  // namespace periscope::setup
