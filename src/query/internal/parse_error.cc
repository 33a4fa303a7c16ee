#include "query/internal/parse_error.h"

namespace strata::query::internal {

std::string FormatPosition(std::string_view input, size_t pos) {
  if (input.empty()) return "unknown position";
  if (pos > input.size()) return "invalid position";
  size_t line = 1;
  size_t line_start = 0;  // Byte after the last '\n' before pos.
  for (size_t i = 0; i < pos; ++i) {
    if (input[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

Status ParseError(std::string_view input, size_t pos, std::string_view message) {
  std::string text = FormatPosition(input, pos);
  text += ": parse error: ";
  text += message;
  return Status::InvalidArgument(std::move(text));
}

}  // namespace strata::query::internal
