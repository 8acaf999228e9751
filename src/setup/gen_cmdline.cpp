// The kernel command line: which arguments turn the IOMMU on and bind the GPU, and how they
// are edited into each place a bootloader keeps them without touching anything else.
#include <fmt/format.h>

#include "setup/machine_boot_cmdline.hpp"
#include "setup/machine_text.hpp"
#include "setup/setup_generators.hpp"

namespace periscope::setup {

namespace {

// The kernel keeps the last value of a parameter, so "present" means the last one matches.
bool has_arg(const std::vector<std::string>& current, const std::string& wanted) {
  const std::size_t equals = wanted.find('=');
  if (equals == std::string::npos) {
    for (const std::string& arg : current) {
      if (normalise_cmdline_arg(arg) == normalise_cmdline_arg(wanted)) return true;
    }
    return false;
  }
  const std::vector<std::string> values = cmdline_values(current, cmdline_param_name(wanted));
  return !values.empty() && values.back() == wanted.substr(equals + 1);
}

struct LineSpan {
  std::size_t start{0};
  std::size_t end{0};  // before the '\n'
};

std::vector<LineSpan> line_spans(const std::string& text) {
  std::vector<LineSpan> spans;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::size_t end = newline == std::string::npos ? text.size() : newline;
    spans.push_back({start, end});
    start = end + 1;
  }
  return spans;
}

}  // namespace

std::vector<std::string> vfio_cmdline_args(const CmdlineChoices& choices) {
  std::vector<std::string> args;
  // AMD-Vi is on whenever the firmware enables it; "amd_iommu=on" is not a value the kernel
  // documents, so nothing is added for AMD.
  if (choices.intel_iommu) args.emplace_back("intel_iommu=on");
  // Identity mapping for the host's own devices: no translation cost for them.
  args.emplace_back("iommu=pt");
  if (choices.ids_on_cmdline) args.push_back("vfio-pci.ids=" + join(choices.ids, ","));
  // Since 5.15 the firmware framebuffer (sysfb) holds the boot GPU's memory; video=efifb:off
  // no longer releases it.
  if (choices.boot_vga) args.emplace_back("initcall_blacklist=sysfb_init");
  return args;
}

std::vector<std::string> missing_args(const std::vector<std::string>& current,
                                      const std::vector<std::string>& wanted) {
  std::vector<std::string> missing;
  for (const std::string& arg : wanted) {
    if (!has_arg(current, arg)) missing.push_back(arg);
  }
  return missing;
}

std::vector<std::string> merge_args(std::vector<std::string> current,
                                    const std::vector<std::string>& wanted) {
  for (const std::string& arg : wanted) {
    const std::string name = cmdline_param_name(arg);
    bool replaced = false;
    for (std::string& existing : current) {
      if (existing.find('=') != std::string::npos && cmdline_param_name(existing) == name) {
        if (!replaced) {
          existing = arg;
          replaced = true;
        } else {
          existing.clear();  // a later duplicate would win over ours
        }
      }
    }
    std::erase(current, std::string());
    if (!replaced) current.push_back(arg);
  }
  return current;
}

Result<std::string> edit_grub_default(const std::string& text,
                                      const std::vector<std::string>& wanted,
                                      const std::vector<std::string>& effective) {
  const std::vector<std::string> add = missing_args(effective, wanted);
  if (add.empty()) return text;
  // The last assignment is the one the shell keeps.
  std::optional<std::size_t> value_start;
  std::size_t line_end = 0;
  for (const LineSpan& span : line_spans(text)) {
    std::string_view line(text.data() + span.start, span.end - span.start);
    const std::size_t indent = line.find_first_not_of(" \t");
    if (indent == std::string_view::npos) continue;
    std::string_view rest = line.substr(indent);
    std::size_t offset = span.start + indent;
    if (starts_with(rest, "export ")) {
      rest.remove_prefix(7);
      offset += 7;
    }
    constexpr std::string_view kKey = "GRUB_CMDLINE_LINUX_DEFAULT=";
    if (starts_with(rest, kKey)) {
      value_start = offset + kKey.size();
      line_end = span.end;
    }
  }
  if (!value_start) {
    std::string out = text;
    if (!out.empty() && !ends_with(out, "\n")) out += '\n';
    return out + fmt::format("GRUB_CMDLINE_LINUX_DEFAULT=\"{}\"\n", join(add, " "));
  }
  const std::string_view rest(text.data() + *value_start, line_end - *value_start);
  char quote = '\0';
  std::size_t inner_start = *value_start;
  std::size_t inner_end = 0;  // one past the value's last character inside the quotes
  std::size_t value_end = 0;  // one past the closing quote
  if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
    quote = rest.front();
    const std::size_t close = rest.find(quote, 1);
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kUnsupported,
                  "/etc/default/grub: GRUB_CMDLINE_LINUX_DEFAULT's quote is not closed on its "
                  "line; edit it by hand");
    }
    inner_start = *value_start + 1;
    inner_end = *value_start + close;
    value_end = inner_end + 1;
  } else {
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != ' ' && rest[n] != '\t' && rest[n] != ';') ++n;
    inner_end = *value_start + n;
    value_end = inner_end;
  }
  const std::string inner = text.substr(inner_start, inner_end - inner_start);
  if (inner.find_first_of("\\`") != std::string::npos || inner.find("$(") != std::string::npos ||
      (quote == '\0' && inner.find_first_of("\"'") != std::string::npos)) {
    return fail(ErrorCode::kUnsupported,
                "/etc/default/grub: GRUB_CMDLINE_LINUX_DEFAULT uses shell syntax this tool does "
                "not rewrite ({}); add {} to it by hand",
                printable(inner), join(add, " "));
  }
  const std::vector<std::string> merged = merge_args(split_kernel_cmdline(inner), add);
  const char q = quote == '\0' ? '"' : quote;
  return text.substr(0, *value_start) + q + join(merged, " ") + q + text.substr(value_end);
}

std::string edit_kernel_cmdline(const std::string& text, const std::vector<std::string>& wanted) {
  std::vector<std::string> current;
  for (const std::string& line : split_lines(text)) {
    if (starts_with(trim(line), "#")) continue;
    for (std::string& arg : split_kernel_cmdline(line)) current.push_back(std::move(arg));
  }
  const std::vector<std::string> add = missing_args(current, wanted);
  if (add.empty()) return text;
  for (const LineSpan& span : line_spans(text)) {
    const std::string line = text.substr(span.start, span.end - span.start);
    if (trim(line).empty() || starts_with(trim(line), "#")) continue;
    return text.substr(0, span.start) + join(merge_args(split_kernel_cmdline(line), add), " ") +
           text.substr(span.end);
  }
  std::string out = text;
  if (!out.empty() && !ends_with(out, "\n")) out += '\n';
  return out + join(add, " ") + "\n";
}

std::string edit_loader_entry(const std::string& text, const std::vector<std::string>& wanted) {
  const std::vector<std::string> add = missing_args(parse_loader_entry(text), wanted);
  if (add.empty()) return text;
  std::optional<LineSpan> last_options;
  for (const LineSpan& span : line_spans(text)) {
    const std::string_view t =
        trim(std::string_view(text).substr(span.start, span.end - span.start));
    if (starts_with(t, "options") && t.size() > 7 && (t[7] == ' ' || t[7] == '\t')) {
      last_options = span;
    }
  }
  if (!last_options) {
    std::string out = text;
    if (!out.empty() && !ends_with(out, "\n")) out += '\n';
    return out + "options " + join(add, " ") + "\n";
  }
  const std::string line =
      text.substr(last_options->start, last_options->end - last_options->start);
  const std::vector<std::string> merged =
      merge_args(split_kernel_cmdline(trim(line).substr(8)), add);
  return text.substr(0, last_options->start) + "options " + join(merged, " ") +
         text.substr(last_options->end);
}

}  // namespace periscope::setup
