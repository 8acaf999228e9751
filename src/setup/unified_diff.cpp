// Common prefix and suffix are cut first (a plan's edits touch a few lines of a file), then the
// middle is aligned by a longest-common-subsequence table. A middle too big for the table is
// shown as removed and re-added: still a correct diff, only not the smallest one.
#include "setup/unified_diff.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace periscope::setup {

namespace {

constexpr std::size_t kMaxLcsCells = 16U * 1024U * 1024U;

struct Line {
  std::string_view text;  // without its '\n'
  bool newline{true};     // false only for a last line without '\n'
  bool operator==(const Line& other) const {
    return text == other.text && newline == other.newline;
  }
};

std::vector<Line> lines_of(std::string_view text) {
  std::vector<Line> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back({text.substr(start), false});
      break;
    }
    lines.push_back({text.substr(start, end - start), true});
    start = end + 1;
  }
  return lines;
}

enum class Op : std::uint8_t { kKeep, kRemove, kAdd };

struct Edit {
  Op op;
  std::size_t old_index;  // the line's index in its own file
  std::size_t new_index;
};

// The edit script turning a[a0, a1) into b[b0, b1).
void align_middle(const std::vector<Line>& a, std::size_t a0, std::size_t a1,
                  const std::vector<Line>& b, std::size_t b0, std::size_t b1,
                  std::vector<Edit>& edits) {
  const std::size_t n = a1 - a0;
  const std::size_t m = b1 - b0;
  if (n == 0 || m == 0 || (n + 1) * (m + 1) > kMaxLcsCells) {
    for (std::size_t i = a0; i < a1; ++i) edits.push_back({Op::kRemove, i, b0});
    for (std::size_t j = b0; j < b1; ++j) edits.push_back({Op::kAdd, a1, j});
    return;
  }
  // lcs[i][j]: the longest common subsequence of a[a0+i..a1) and b[b0+j..b1).
  std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
  const auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& {
    return lcs[i * (m + 1) + j];
  };
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      at(i, j) =
          a[a0 + i] == b[b0 + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[a0 + i] == b[b0 + j]) {
      edits.push_back({Op::kKeep, a0 + i, b0 + j});
      ++i;
      ++j;
    } else if (j < m && (i == n || at(i, j + 1) > at(i + 1, j))) {
      // Removals before additions when both are as good: the usual `diff` order.
      edits.push_back({Op::kAdd, a0 + i, b0 + j});
      ++j;
    } else {
      edits.push_back({Op::kRemove, a0 + i, b0 + j});
      ++i;
    }
  }
}

// "start,count" of a hunk side; GNU diff leaves out ",1", and an empty side names the line
// before it.
std::string range(std::size_t first_index, std::size_t count) {
  if (count == 1) return fmt::format("{}", first_index + 1);
  return fmt::format("{},{}", first_index + 1, count);
}

void append_line(std::string& out, char marker, const Line& line) {
  out += marker;
  out.append(line.text);
  out += '\n';
  if (!line.newline) out += "\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(const std::optional<std::string>& old_text, std::string_view new_text,
                         std::string_view path, int context_lines) {
  const std::string_view old_view = old_text ? std::string_view(*old_text) : std::string_view();
  if (old_text && old_view == new_text) return {};
  const std::vector<Line> a = lines_of(old_view);
  const std::vector<Line> b = lines_of(new_text);

  std::size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Edit> edits;
  for (std::size_t i = 0; i < prefix; ++i) edits.push_back({Op::kKeep, i, i});
  align_middle(a, prefix, a.size() - suffix, b, prefix, b.size() - suffix, edits);
  for (std::size_t k = suffix; k > 0; --k) {
    edits.push_back({Op::kKeep, a.size() - k, b.size() - k});
  }

  const std::string relative(path.starts_with('/') ? path.substr(1) : path);
  std::string out = old_text ? fmt::format("--- a/{}\n", relative) : "--- /dev/null\n";
  out += fmt::format("+++ b/{}\n", relative);
  const auto context = static_cast<std::size_t>(std::max(context_lines, 0));
  std::size_t e = 0;
  while (e < edits.size()) {
    // Find the next change, then grow the hunk while changes are within 2*context of it.
    while (e < edits.size() && edits[e].op == Op::kKeep) ++e;
    if (e == edits.size()) break;
    const std::size_t first = e >= context ? e - context : 0;
    std::size_t last = e;  // one past the last change in the hunk
    std::size_t k = e;
    while (k < edits.size()) {
      if (edits[k].op != Op::kKeep) {
        last = k + 1;
        ++k;
        continue;
      }
      std::size_t run = k;
      while (run < edits.size() && edits[run].op == Op::kKeep) ++run;
      if (run == edits.size() || run - k > 2 * context) break;
      k = run;
    }
    const std::size_t end = std::min(edits.size(), last + context);
    std::size_t old_count = 0;
    std::size_t new_count = 0;
    for (std::size_t x = first; x < end; ++x) {
      if (edits[x].op != Op::kAdd) ++old_count;
      if (edits[x].op != Op::kRemove) ++new_count;
    }
    // An empty side names the line before the hunk: its index is the count of lines before.
    const auto side = [](std::size_t index, std::size_t count) {
      return count == 0 ? fmt::format("{},0", index) : range(index, count);
    };
    out += fmt::format("@@ -{} +{} @@\n", side(edits[first].old_index, old_count),
                       side(edits[first].new_index, new_count));
    for (std::size_t x = first; x < end; ++x) {
      const Edit& edit = edits[x];
      if (edit.op == Op::kKeep) append_line(out, ' ', a[edit.old_index]);
      if (edit.op == Op::kRemove) append_line(out, '-', a[edit.old_index]);
      if (edit.op == Op::kAdd) append_line(out, '+', b[edit.new_index]);
    }
    e = end;
  }
  return out;
}

}  // namespace periscope::setup
