// `periscope rom check FILE` and `periscope rom trim FILE --out FILE`: validate a PCI option ROM
// (a GPU vBIOS dump) and strip what precedes its first image so QEMU's ROM BAR starts at 55AA.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common/file_bytes.hpp"
#include "common/log.hpp"
#include "setup/rom_chain.hpp"
#include "setup/rom_report.hpp"

namespace periscope::app {

namespace {

struct RomArgs {
  std::string file;
  std::string out;
  std::string vendor;
  std::string device;
  bool json{false};
};

// "10de" or "0x10de": a 16-bit PCI ID in hex.
Result<std::optional<std::uint16_t>> parse_pci_id(const std::string& text, const char* what) {
  if (text.empty()) return std::optional<std::uint16_t>{};
  std::string_view digits = text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  std::uint16_t id = 0;
  const auto* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, id, 16);
  if (digits.empty() || digits.size() > 4 || ec != std::errc{} || ptr != end) {
    return fail(ErrorCode::kInvalidArgument, "bad {} '{}': expected 4 hex digits, e.g. 10de", what,
                text);
  }
  return std::optional<std::uint16_t>{id};
}

Result<setup::RomCheckOptions> check_options(const RomArgs& args) {
  auto vendor = parse_pci_id(args.vendor, "--vendor");
  if (!vendor) return tl::unexpected(vendor.error());
  auto device = parse_pci_id(args.device, "--device");
  if (!device) return tl::unexpected(device.error());
  return setup::RomCheckOptions{*vendor, *device};
}

int run_check(const RomArgs& args) {
  auto options = check_options(args);
  if (!options) {
    spdlog::error("{}", options.error().message);
    return 2;
  }
  auto bytes = read_file_bytes(args.file, setup::kMaxRomFileBytes);
  Result<setup::RomReport> report = tl::unexpected(bytes ? Error{} : bytes.error());
  if (bytes) {
    report = setup::check_rom(*bytes, *options);
    // Read errors name the file already; format errors do not.
    if (!report) report.error().message = args.file + ": " + report.error().message;
  }
  if (!report) {
    if (args.json) {
      std::puts(nlohmann::json({{"ok", false}, {"error", report.error().message}}).dump(2).c_str());
    } else {
      spdlog::error("{}", report.error().message);
    }
    return 1;
  }
  if (args.json) {
    std::puts(setup::rom_report_json(*report).dump(2).c_str());
  } else {
    std::printf("%s: %s", args.file.c_str(), setup::rom_report_text(*report).c_str());
  }
  return report->ok() ? 0 : 1;
}

// True when `out` names the input file itself (also through a link): trim never overwrites
// its input, so a failed or wrong trim never costs the user their only dump.
bool same_file(const std::string& input, const std::string& out) {
  std::error_code ec;
  return std::filesystem::exists(out, ec) && std::filesystem::equivalent(input, out, ec);
}

int run_trim(const RomArgs& args) {
  auto options = check_options(args);
  if (!options) {
    spdlog::error("{}", options.error().message);
    return 2;
  }
  if (same_file(args.file, args.out)) {
    spdlog::error("--out {} is the input file; write the trimmed ROM to a new file", args.out);
    return 2;
  }
  auto bytes = read_file_bytes(args.file, setup::kMaxRomFileBytes);
  if (!bytes) {
    spdlog::error("{}", bytes.error().message);
    return 1;
  }
  auto trimmed = setup::trim_rom(*bytes, *options);
  if (!trimmed) {
    spdlog::error("{}: {}", args.file, trimmed.error().message);
    return 1;
  }
  if (auto written = write_file_atomic(args.out, trimmed->output, 0644); !written) {
    spdlog::error("{}", written.error().message);
    return 1;
  }
  std::printf("%s: %s", args.file.c_str(), setup::rom_report_text(trimmed->report).c_str());
  std::printf("wrote %s: %zu bytes (removed %#zx bytes before the first image; nothing after it)\n",
              args.out.c_str(), trimmed->output.size(), trimmed->report.start_offset);
  return 0;
}

void add_id_options(CLI::App& command, RomArgs& args) {
  command.add_option("--vendor", args.vendor,
                     "the card's PCI vendor ID in hex (e.g. 10de); a mismatch is an error");
  command.add_option("--device", args.device,
                     "the card's PCI device ID in hex; a mismatch only warns");
}

}  // namespace

void add_rom_command(CLI::App& app, int& exit_code) {
  auto* rom = app.add_subcommand("rom", "check or trim a PCI option ROM (a GPU vBIOS dump)");
  rom->require_subcommand(1);

  auto* check = rom->add_subcommand(
      "check", "list the ROM's images (legacy, EFI, NVIDIA) and what is wrong with it");
  auto check_args = std::make_shared<RomArgs>();
  check->add_option("file", check_args->file, "the ROM file")->required();
  add_id_options(*check, *check_args);
  check->add_flag("--json", check_args->json, "print the report as JSON");
  check->callback([check_args, &exit_code] { exit_code = run_check(*check_args); });

  auto* trim = rom->add_subcommand(
      "trim", "strip an NVGI header or junk before the first image (never anything after it)");
  auto trim_args = std::make_shared<RomArgs>();
  trim->add_option("file", trim_args->file, "the ROM file (never modified)")->required();
  trim->add_option("--out", trim_args->out, "the trimmed ROM to write")->required();
  add_id_options(*trim, *trim_args);
  trim->callback([trim_args, &exit_code] { exit_code = run_trim(*trim_args); });
}

}  // namespace periscope::app
