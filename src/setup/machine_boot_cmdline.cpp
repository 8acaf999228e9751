#include "setup/machine_boot_cmdline.hpp"

#include <map>

#include "setup/machine_facts.hpp"
#include "setup/machine_text.hpp"

namespace periscope::setup {

namespace {

// Stands for a shell variable we cannot know; an argument containing it is dropped.
constexpr char kUnknown = '\x01';

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Reads a shell word starting at text[i] (quotes, backslashes, $NAME and ${NAME}); stops at
// an unquoted blank, ';' or '#'. Returns the word with variables expanded from `vars`.
std::string read_shell_word(std::string_view text, std::size_t& i,
                            const std::map<std::string, std::string>& vars) {
  std::string word;
  const auto expand = [&](std::size_t& k) {
    // text[k] == '$'
    ++k;
    std::string name;
    if (k < text.size() && text[k] == '{') {
      const std::size_t close = text.find('}', k);
      if (close == std::string_view::npos) {
        k = text.size();
        word += kUnknown;
        return;
      }
      name = std::string(text.substr(k + 1, close - k - 1));
      k = close + 1;
    } else {
      while (k < text.size() && is_name_char(text[k])) name += text[k++];
    }
    const auto it = vars.find(name);
    if (it != vars.end()) {
      word += it->second;
    } else {
      word += kUnknown;
    }
  };
  while (i < text.size()) {
    const char c = text[i];
    if (is_blank(c) || c == ';' || c == '#') break;
    if (c == '\'') {
      const std::size_t close = text.find('\'', i + 1);
      const std::size_t end = close == std::string_view::npos ? text.size() : close;
      word.append(text.substr(i + 1, end - i - 1));
      i = end == text.size() ? end : end + 1;
    } else if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) {
          word += text[i + 1];
          i += 2;
        } else if (text[i] == '$') {
          expand(i);
        } else {
          word += text[i++];
        }
      }
      if (i < text.size()) ++i;  // closing quote
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[i + 1];
      i += 2;
    } else if (c == '$') {
      expand(i);
    } else {
      word += c;
      ++i;
    }
  }
  return word;
}

std::vector<std::string> known_args(const std::string& value) {
  std::vector<std::string> args;
  for (std::string& arg : split_kernel_cmdline(value)) {
    if (arg.find(kUnknown) == std::string::npos) args.push_back(std::move(arg));
  }
  return args;
}

}  // namespace

std::vector<std::string> split_kernel_cmdline(std::string_view text) {
  std::vector<std::string> args;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i == text.size()) break;
    std::string arg;
    bool quoted = false;
    while (i < text.size() && (quoted || !is_blank(text[i]))) {
      if (text[i] == '"') quoted = !quoted;
      arg += text[i++];
    }
    args.push_back(std::move(arg));
  }
  return args;
}

std::string cmdline_param_name(std::string_view arg) {
  std::string name(arg.substr(0, arg.find('=')));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

std::string normalise_cmdline_arg(std::string_view arg) {
  const std::size_t equals = arg.find('=');
  std::string out = cmdline_param_name(arg);
  if (equals != std::string_view::npos) out.append(arg.substr(equals));
  return out;
}

std::vector<std::string> cmdline_values(const std::vector<std::string>& args,
                                        std::string_view name) {
  std::vector<std::string> values;
  for (const std::string& arg : args) {
    const std::size_t equals = arg.find('=');
    if (equals != std::string::npos && cmdline_param_name(arg) == name) {
      values.push_back(arg.substr(equals + 1));
    }
  }
  return values;
}

std::vector<std::string> parse_grub_default(const std::vector<std::string>& files) {
  std::map<std::string, std::string> vars{{"GRUB_CMDLINE_LINUX", ""},
                                          {"GRUB_CMDLINE_LINUX_DEFAULT", ""}};
  for (const std::string& text : files) {
    std::size_t i = 0;
    while (i < text.size()) {
      // At the start of a line (or after ';'): skip blanks, then maybe "export NAME=".
      while (i < text.size() && is_blank(text[i])) ++i;
      if (starts_with(std::string_view(text).substr(i), "export ")) i += 7;
      std::size_t name_end = i;
      while (name_end < text.size() && is_name_char(text[name_end])) ++name_end;
      const std::string name = text.substr(i, name_end - i);
      if (name_end < text.size() && text[name_end] == '=' && vars.count(name) != 0) {
        i = name_end + 1;
        vars[name] = read_shell_word(text, i, vars);
      }
      // Anything else on the line (comments, other commands) is not ours.
      const std::size_t newline = text.find('\n', i);
      i = newline == std::string::npos ? text.size() : newline + 1;
    }
  }
  std::vector<std::string> args = known_args(vars["GRUB_CMDLINE_LINUX"]);
  for (std::string& arg : known_args(vars["GRUB_CMDLINE_LINUX_DEFAULT"])) {
    args.push_back(std::move(arg));
  }
  return args;
}

std::vector<std::string> parse_loader_entry(std::string_view text) {
  std::vector<std::string> args;
  for (const std::string& line : split_lines(text)) {
    const std::string_view trimmed = trim(line);
    if (!starts_with(trimmed, "options") || trimmed.size() < 8 || !is_blank(trimmed[7])) continue;
    for (std::string& arg : split_kernel_cmdline(trimmed.substr(8))) args.push_back(std::move(arg));
  }
  return args;
}

BootFacts read_boot_facts(const MachineReader& reader) {
  BootFacts facts;
  if (auto running = reader.read_file("/proc/cmdline", kTextFileBytes)) {
    facts.running = split_kernel_cmdline(*running);
  } else {
    facts.running = tl::unexpected(running.error());
  }
  // GRUB: /etc/default/grub, then the drop-ins Debian and Ubuntu source after it.
  if (auto grub = reader.read_file("/etc/default/grub", kTextFileBytes)) {
    std::vector<std::string> files{std::move(*grub)};
    for (const std::string& name : reader.list_or_empty("/etc/default/grub.d")) {
      if (!ends_with(name, ".cfg")) continue;
      if (auto more = reader.read_file("/etc/default/grub.d/" + name, kTextFileBytes)) {
        files.push_back(std::move(*more));
      }
    }
    facts.configured.push_back(
        {CmdlineSourceKind::kGrub, "/etc/default/grub", parse_grub_default(files)});
  }
  // The command line kernel-install and the UKI builders (mkinitcpio, dracut, ukify) embed.
  if (auto text = reader.read_file("/etc/kernel/cmdline", kTextFileBytes)) {
    std::vector<std::string> args;
    for (const std::string& line : split_lines(*text)) {
      if (starts_with(trim(line), "#")) continue;
      for (std::string& arg : split_kernel_cmdline(line)) args.push_back(std::move(arg));
    }
    facts.configured.push_back(
        {CmdlineSourceKind::kKernelCmdline, "/etc/kernel/cmdline", std::move(args)});
  }
  // systemd-boot entries, wherever the ESP or XBOOTLDR is mounted.
  for (const char* dir :
       {"/boot/loader/entries", "/efi/loader/entries", "/boot/efi/loader/entries"}) {
    for (const std::string& name : reader.list_or_empty(dir)) {
      if (!ends_with(name, ".conf")) continue;
      const std::string path = std::string(dir) + "/" + name;
      auto text = reader.read_file(path, kTextFileBytes);
      if (!text) {
        facts.problems.push_back(printable(text.error().message));
        continue;
      }
      facts.configured.push_back(
          {CmdlineSourceKind::kLoaderEntry, printable(path), parse_loader_entry(*text)});
    }
  }
  return facts;
}

}  // namespace periscope::setup
