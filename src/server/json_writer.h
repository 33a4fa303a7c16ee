// JsonWriter: a small streaming JSON encoder that appends to a std::string. It writes commas
// itself; callers only open/close containers, write keys and values. No validation beyond
// string escaping (invalid UTF-8 is replaced by U+FFFD). Confined to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::server {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // A finite double as a JSON number; NaN/Inf are written as strings like Prometheus does.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Appends pre-encoded JSON as one value.
  JsonWriter& Raw(std::string_view json);
  // Starts one value that the caller appends, pre-encoded, to the returned string (the
  // writer's output) before the next call: Raw without building and copying it first.
  std::string* RawValue();

 private:
  void Separate();
  std::string* out_;
  // One entry per open container: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `s` as a quoted JSON string.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace strata::server
