#pragma once
// A unified diff (the `diff -u` format `patch` reads) of a file's current text against the text
// a plan would write, so the user sees exactly which bytes change before anything happens.
#include <optional>
#include <string>
#include <string_view>

namespace periscope::setup {

// `old_text` nullopt: the file does not exist yet ("--- /dev/null"). `path` is the file's
// absolute path on the machine; the headers name it "a/<path>" and "b/<path>" like git does,
// so `patch -p1` applies the diff from the root. Empty when the texts are equal.
// Three lines of context; a missing final newline is marked "\ No newline at end of file".
[[nodiscard]] std::string unified_diff(const std::optional<std::string>& old_text,
                                       std::string_view new_text, std::string_view path,
                                       int context_lines = 3);

}  // namespace periscope::setup
