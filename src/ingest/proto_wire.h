// Protobuf wire-format reading over borrowed bytes, shared by the remote-write and OTLP
// decoders (zero-copy: strings and sub-messages are views into the input), and the JSON string
// escaping their error bodies use. Private to ingest. Confined to one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/coding.h"

namespace strata::ingest::wire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Reads fields one at a time. Every call returns false on truncated or malformed input.
class Reader {
 public:
  explicit Reader(std::string_view in) : d_(in) {}
  bool done() const { return d_.empty(); }

  // Reads a tag; false at a malformed tag or field number 0.
  bool Tag(uint32_t* field, uint32_t* wire) {
    uint64_t tag = 0;
    if (!d_.GetVarint64(&tag) || tag > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire = static_cast<uint32_t>(tag & 7);
    return *field != 0;
  }
  bool Varint(uint64_t* v) { return d_.GetVarint64(v); }
  bool Fixed64(uint64_t* v) { return d_.GetFixed64(v); }
  bool Bytes(std::string_view* v) { return d_.GetLengthPrefixed(v); }
  // Skips a field's value. Groups (wire types 3, 4) are used by neither format: false.
  bool Skip(uint32_t wire) {
    uint64_t u = 0;
    std::string_view s;
    uint32_t f32 = 0;
    switch (wire) {
      case kVarint:
        return d_.GetVarint64(&u);
      case kFixed64:
        return d_.GetFixed64(&u);
      case kLen:
        return d_.GetLengthPrefixed(&s);
      case kFixed32:
        return d_.GetFixed32(&f32);
      default:
        return false;
    }
  }

 private:
  Decoder d_;
};

// Appends `s` escaped for the inside of a JSON string (no quotes).
inline void AppendJsonEscaped(std::string_view s, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
}

}  // namespace strata::ingest::wire
