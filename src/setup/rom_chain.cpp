#include "setup/rom_chain.hpp"

#include <algorithm>

namespace periscope::setup {

namespace {

using Severity = RomFinding::Severity;

void add(RomReport& report, Severity severity, std::size_t offset, std::string message) {
  report.findings.push_back({severity, offset, std::move(message)});
}

struct Start {
  RomImage image;
  RomStartSource source;
};

// Steps 1-3 of the safe algorithm: offset 0, then the NVGI header, then 512-byte boundaries,
// then (flagged) any 55AA. A stray 55AA in a header is skipped because the PCIR must check out.
Result<Start> find_first_image(RomBytes bytes, RomReport& report) {
  auto at_zero = probe_rom_image(bytes, 0);
  if (at_zero) return Start{*at_zero, RomStartSource::kOffsetZero};
  std::string nvgi_problem;
  if (has_nvgi_signature(bytes)) {
    auto nvgi = parse_nvgi(bytes);
    if (nvgi) {
      report.nvgi = *nvgi;
      auto image = probe_rom_image(bytes, nvgi->pci_rom_offset);
      if (image) return Start{*image, RomStartSource::kNvgiHeader};
      nvgi_problem = fmt::format("NVGI header version {} points to {:#x}, but {}", nvgi->version,
                                 nvgi->pci_rom_offset, image.error().message);
    } else {
      nvgi_problem = nvgi.error().message;
    }
    add(report, Severity::kWarning, 0, nvgi_problem + "; looked for the first image by a scan");
  }
  for (std::size_t offset = kRomBlockBytes; offset < bytes.size(); offset += kRomBlockBytes) {
    auto image = probe_rom_image(bytes, offset);
    if (image) return Start{*image, RomStartSource::kAlignedScan};
  }
  for (std::size_t offset = 1; offset + 1 < bytes.size(); ++offset) {
    if (bytes[offset] != 0x55 || bytes[offset + 1] != 0xAA || offset % kRomBlockBytes == 0) {
      continue;
    }
    auto image = probe_rom_image(bytes, offset);
    if (image) return Start{*image, RomStartSource::kUnalignedScan};
  }
  std::string message = fmt::format("no PCI option ROM image found in the file ({} bytes): {}",
                                    bytes.size(), at_zero.error().message);
  if (!nvgi_problem.empty()) message += "; " + nvgi_problem;
  message += "; and no 55AA with a valid PCI data structure anywhere else";
  return fail(ErrorCode::kProtocol, "{}", message);
}

void note_start(RomReport& report) {
  const std::size_t start = report.start_offset;
  switch (report.start_source) {
    case RomStartSource::kOffsetZero:
      break;
    case RomStartSource::kNvgiHeader:
      add(report, Severity::kNote, 0,
          fmt::format("an NVGI header (version {}) takes the first {:#x} bytes; trim removes it",
                      report.nvgi->version, start));
      break;
    case RomStartSource::kAlignedScan:
      add(report, Severity::kNote, 0,
          fmt::format("{:#x} bytes before the first image are not a PCI image (a dump tool's "
                      "header?); trim removes them",
                      start));
      break;
    case RomStartSource::kUnalignedScan:
      add(report, Severity::kWarning, start,
          fmt::format("the first image was found only at {:#x}, not on a 512-byte boundary: a "
                      "suspicious dump; check it with another tool before using it",
                      start));
      break;
  }
}

void check_image(RomReport& report, const RomImage& image, std::size_t index,
                 const RomCheckOptions& options) {
  if (options.vendor_id && image.vendor_id != *options.vendor_id) {
    add(report, Severity::kError, image.pcir_offset + 4,
        fmt::format("image {} at {:#x}: vendor {:04x} is not the expected {:04x}: a ROM for "
                    "another card",
                    index, image.offset, image.vendor_id, *options.vendor_id));
  }
  if (options.device_id && image.device_id != *options.device_id) {
    add(report, Severity::kWarning, image.pcir_offset + 6,
        fmt::format("image {} at {:#x}: device {:04x} is not the expected {:04x} (fine when one "
                    "VBIOS serves a family of cards)",
                    index, image.offset, image.device_id, *options.device_id));
  }
  if (image.legacy_checksum_ok == false) {
    add(report, Severity::kWarning, image.offset,
        fmt::format("image {} at {:#x}: the legacy checksum over its {:#x} initialisation "
                    "bytes is not 0 (a modified ROM? a legacy BIOS may refuse it)",
                    index, image.offset, image.legacy_init_bytes));
  }
  if (image.efi && !image.efi->signature_ok) {
    add(report, Severity::kWarning, image.offset + 4,
        fmt::format("image {} at {:#x}: EFI image without the EFI signature (expected 0xef1, "
                    "found {:#x})",
                    index, image.offset, image.efi->signature));
  }
}

void walk_chain(RomBytes bytes, RomReport& report, const RomImage& first,
                const RomCheckOptions& options) {
  Result<RomImage> image = first;
  while (true) {
    const std::size_t index = report.images.size();
    report.images.push_back(*image);
    check_image(report, *image, index, options);
    const std::size_t end = image->end();
    report.images_end = std::min(end, bytes.size());
    if (end > bytes.size()) {
      add(report, Severity::kError, image->offset,
          fmt::format("image {} at {:#x} is {:#x} bytes long and would end at {:#x}, but the "
                      "file ends at {:#x}: a truncated dump",
                      index, image->offset, image->image_bytes, end, bytes.size()));
      return;
    }
    if (image->pcir_last && !report.firmware_chain_end) report.firmware_chain_end = end;
    if (image->last) return;
    if (end == bytes.size()) {
      add(report, Severity::kError, image->offset,
          fmt::format("no image is marked last: image {} at {:#x} says more follow (indicator "
                      "bit 7 clear in its {}), but the file ends after it at {:#x}",
                      index, image->offset, image->npde ? "NPDE" : "PCI data structure", end));
      return;
    }
    image = probe_rom_image(bytes, end, {.accept_npds = true});
    if (!image) {
      add(report, Severity::kError, end,
          fmt::format("image {} at {:#x} is not marked last, but no image follows it: {}", index,
                      report.images.back().offset, image.error().message));
      return;
    }
  }
}

void summarise(RomReport& report) {
  report.has_efi_x64 = std::any_of(report.images.begin(), report.images.end(),
                                   [](const RomImage& image) { return image.is_efi_x64(); });
  if (!report.has_efi_x64) {
    add(report, Severity::kWarning, report.start_offset,
        "no EFI x64 image: OVMF finds no GOP driver in this ROM, so the guest shows nothing "
        "until its own driver loads");
  }
  if (report.firmware_chain_end && *report.firmware_chain_end < report.images_end) {
    add(report, Severity::kNote, *report.firmware_chain_end,
        fmt::format("images after {:#x} are past the PCIR last-image flag (NVIDIA private "
                    "images announced by NPDE): host firmware ignores them, the driver may need "
                    "them; trim keeps them",
                    *report.firmware_chain_end));
  }
  if (report.ok() && report.images_end < report.file_bytes) {
    add(report, Severity::kNote, report.images_end,
        fmt::format("{:#x} bytes follow the last image; trim keeps them",
                    report.file_bytes - report.images_end));
  }
}

std::size_t count(const RomReport& report, Severity severity) {
  return static_cast<std::size_t>(
      std::count_if(report.findings.begin(), report.findings.end(),
                    [&](const RomFinding& finding) { return finding.severity == severity; }));
}

}  // namespace

std::size_t RomReport::error_count() const {
  return count(*this, Severity::kError);
}

std::size_t RomReport::warning_count() const {
  return count(*this, Severity::kWarning);
}

Result<RomReport> check_rom(RomBytes bytes, const RomCheckOptions& options) {
  RomReport report;
  report.file_bytes = bytes.size();
  auto start = find_first_image(bytes, report);
  if (!start) return tl::unexpected(start.error());
  report.start_offset = start->image.offset;
  report.start_source = start->source;
  note_start(report);
  walk_chain(bytes, report, start->image, options);
  summarise(report);
  return report;
}

Result<RomTrimmed> trim_rom(RomBytes bytes, const RomCheckOptions& options) {
  auto report = check_rom(bytes, options);
  if (!report) return tl::unexpected(report.error());
  if (!report->ok()) {
    std::string message = "refusing to trim a ROM with errors:";
    for (const auto& finding : report->findings) {
      if (finding.severity == Severity::kError) message += "\n  " + finding.message;
    }
    return fail(ErrorCode::kProtocol, "{}", message);
  }
  const std::size_t start = report->start_offset;
  const auto first = bytes.subspan(start);
  return RomTrimmed{std::move(*report), std::vector<std::uint8_t>(first.begin(), first.end())};
}

}  // namespace periscope::setup
