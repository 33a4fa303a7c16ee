#include "storage/block/format.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>

#include "base/coding.h"
#include "storage/block/fast_varint.h"
#include "storage/xor_chunk.h"

namespace strata::storage::block {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

Status Bad(std::string_view what) { return Status::Corruption(std::string(what)); }

void PutCrcOf(std::string* dst, size_t from) {
  PutFixed32(dst, Crc32c(std::string_view(*dst).substr(from)));
}

// Checks that `bytes` ends with the crc of what precedes it; returns the body.
bool SplitCrc(std::string_view bytes, std::string_view* body) {
  if (bytes.size() < 4) return false;
  *body = bytes.substr(0, bytes.size() - 4);
  uint32_t want = DecodeFixed32(reinterpret_cast<const uint8_t*>(bytes.data() + body->size()));
  return Crc32c(*body) == want;
}

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

bool ParseHex32(std::string_view s, uint32_t* v) {
  if (s.size() != 8) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// JSON string escaping for the few free-text fields (source); ids and names are restricted.
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool IsValidFileName(std::string_view name) {
  if (name == "index") return true;
  if (name.size() != 13 || name.substr(0, 7) != "chunks/") return false;
  return std::all_of(name.begin() + 7, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string NewBlockId(int64_t time_ms, std::mt19937_64& rng) {
  // 128 bits: 48 of time, 80 random; 26 base32 digits of 5 bits (the first holds 3 bits).
  unsigned __int128 v =
      static_cast<unsigned __int128>(static_cast<uint64_t>(time_ms) & ((uint64_t{1} << 48) - 1))
      << 80;
  unsigned __int128 r = (static_cast<unsigned __int128>(rng() & 0xffff) << 64) | rng();
  v |= r;
  std::string out(26, '0');
  for (int i = 25; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kCrockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  return out;
}

bool IsValidBlockId(std::string_view id) {
  if (id.size() != 26 || id[0] > '7') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::string_view(kCrockford).find(c) != std::string_view::npos;
  });
}

bool IsValidNodeId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(id[0])) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::string BlockPrefix(std::string_view node, std::string_view id) {
  return std::string(node) + "/" + std::string(id) + "/";
}
std::string MetaKey(std::string_view node, std::string_view id) {
  return BlockPrefix(node, id) + "meta.json";
}
std::string ChunkFileName(uint32_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "chunks/%06u", n);
  return buf;
}

const FileInfo* BlockMeta::File(std::string_view name) const {
  for (const auto& f : files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

uint64_t BlockMeta::TotalBytes() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.bytes;
  return n;
}

std::string EncodeMeta(const BlockMeta& m) {
  std::string out = "{\n";
  auto field = [&](std::string_view k, const std::string& v) {
    out += "  \"";
    out += k;
    out += "\": ";
    out += v;
    out += ",\n";
  };
  field("format_version", std::to_string(m.format_version));
  field("id", JsonString(m.id));
  field("node", JsonString(m.node));
  field("min_time", std::to_string(m.min_time));
  field("max_time", std::to_string(m.max_time));
  field("resolution_ms", std::to_string(m.resolution_ms));
  field("source", JsonString(m.source));
  field("created_ms", std::to_string(m.created_ms));
  field("series", std::to_string(m.series));
  field("chunks", std::to_string(m.chunks));
  field("samples", std::to_string(m.samples));
  field("index_header_bytes", std::to_string(m.index_header_bytes));
  out += "  \"files\": [\n";
  for (size_t i = 0; i < m.files.size(); ++i) {
    const auto& f = m.files[i];
    out += "    {\"name\": " + JsonString(f.name) + ", \"bytes\": " + std::to_string(f.bytes) +
           ", \"crc32c\": \"" + Hex32(f.crc32c) + "\"}";
    out += i + 1 < m.files.size() ? ",\n" : "\n";
  }
  out += "  ],\n";
  return SealJson(std::move(out));
}

std::string SealJson(std::string body) {
  uint32_t crc = Crc32c(body);
  body += "  \"crc32c\": \"" + Hex32(crc) + "\"\n}\n";
  return body;
}

std::string CrcHex(uint32_t crc) { return Hex32(crc); }

bool ParseJsonInt(const std::string& s, int64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseJsonUint(const std::string& s, uint64_t* v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}
bool ParseCrcHex(std::string_view s, uint32_t* crc) { return ParseHex32(s, crc); }

Status CheckSealedJson(std::string_view json, std::string_view what) {
  constexpr std::string_view kTail = "\"\n}\n";
  constexpr std::string_view kCrcField = "  \"crc32c\": \"";
  const std::string w(what);
  if (json.size() < kCrcField.size() + 8 + kTail.size() || !json.ends_with(kTail)) {
    return Bad(w + ": truncated (no checksum line)");
  }
  size_t line = json.size() - kTail.size() - 8 - kCrcField.size();
  if (json.substr(line, kCrcField.size()) != kCrcField) {
    return Bad(w + ": truncated (no checksum line)");
  }
  uint32_t want;
  if (!ParseHex32(json.substr(line + kCrcField.size(), 8), &want)) {
    return Bad(w + ": malformed checksum");
  }
  if (Crc32c(json.substr(0, line)) != want) return Bad(w + ": checksum mismatch");
  return Status::Ok();
}

Result<BlockMeta> DecodeMeta(std::string_view json) {
  STRATA_RETURN_IF_ERROR(CheckSealedJson(json, "meta.json"));

  boost::property_tree::ptree tree;
  try {
    std::istringstream in{std::string(json)};
    boost::property_tree::read_json(in, tree);
  } catch (const std::exception& e) {
    return Bad(std::string("meta.json: ") + e.what());
  }
  BlockMeta m;
  auto str = [&](const char* k, std::string* out) {
    auto v = tree.get_optional<std::string>(k);
    if (!v) return false;
    *out = *v;
    return true;
  };
  auto i64 = [&](const char* k, int64_t* out) {
    std::string s;
    return str(k, &s) && ParseJsonInt(s, out);
  };
  auto u64 = [&](const char* k, uint64_t* out) {
    std::string s;
    return str(k, &s) && ParseJsonUint(s, out);
  };
  uint64_t version = 0;
  if (!u64("format_version", &version)) return Bad("meta.json: missing format_version");
  if (!KnownFormatVersion(version)) {
    return Bad("unknown format version " + std::to_string(version));
  }
  m.format_version = static_cast<uint32_t>(version);
  if (!str("id", &m.id) || !IsValidBlockId(m.id)) return Bad("meta.json: bad id");
  if (!str("node", &m.node) || !IsValidNodeId(m.node)) return Bad("meta.json: bad node");
  if (!i64("min_time", &m.min_time) || !i64("max_time", &m.max_time) || m.min_time > m.max_time) {
    return Bad("meta.json: bad min_time/max_time");
  }
  if (!i64("resolution_ms", &m.resolution_ms) ||
      (m.resolution_ms != 0 && m.resolution_ms != 300000 && m.resolution_ms != 3600000)) {
    return Bad("meta.json: bad resolution_ms");
  }
  str("source", &m.source);
  if (!i64("created_ms", &m.created_ms) || !u64("series", &m.series) || !u64("chunks", &m.chunks) ||
      !u64("samples", &m.samples) || !u64("index_header_bytes", &m.index_header_bytes)) {
    return Bad("meta.json: missing counts");
  }
  auto files = tree.get_child_optional("files");
  if (!files) return Bad("meta.json: missing files");
  for (const auto& [key, node] : *files) {
    FileInfo f;
    auto name = node.get_optional<std::string>("name");
    auto bytes = node.get_optional<std::string>("bytes");
    auto crc = node.get_optional<std::string>("crc32c");
    if (!name || !bytes || !crc || !IsValidFileName(*name) || !ParseJsonUint(*bytes, &f.bytes) ||
        !ParseHex32(*crc, &f.crc32c)) {
      return Bad("meta.json: malformed files entry");
    }
    f.name = *name;
    if (m.File(f.name) != nullptr) return Bad("meta.json: duplicate file " + f.name);
    m.files.push_back(std::move(f));
  }
  const FileInfo* index = m.File("index");
  if (index == nullptr) return Bad("meta.json: no index file");
  if (m.index_header_bytes < kFileHeaderBytes || m.index_header_bytes + kTocBytes > index->bytes) {
    return Bad("meta.json: index_header_bytes out of range");
  }
  return m;
}

// ---- index ----

size_t IndexHeader::ByteSize() const {
  size_t n = sizeof(*this) + series_offsets.size() * 4 + postings.size() * sizeof(postings[0]);
  for (const auto& s : symbols) n += sizeof(s) + s.size();
  return n;
}

std::pair<size_t, size_t> IndexHeader::NameRange(uint32_t name) const {
  auto lo = std::lower_bound(postings.begin(), postings.end(), name,
                             [](const PostingsTableEntry& e, uint32_t n) { return e.name < n; });
  auto hi = std::upper_bound(lo, postings.end(), name,
                             [](uint32_t n, const PostingsTableEntry& e) { return n < e.name; });
  return {static_cast<size_t>(lo - postings.begin()), static_cast<size_t>(hi - postings.begin())};
}

int64_t IndexHeader::FindSymbol(std::string_view s) const {
  auto it = std::lower_bound(symbols.begin(), symbols.end(), s);
  if (it == symbols.end() || *it != s) return -1;
  return it - symbols.begin();
}

std::pair<uint64_t, uint64_t> IndexHeader::SeriesRange(size_t i) const {
  uint64_t begin = series_start + series_offsets[i];
  uint64_t end =
      i + 1 < series_offsets.size() ? series_start + series_offsets[i + 1] : postings_start;
  return {begin, end};
}

namespace {

// A series entry's list of group references: count, then each group (docs/format/block.md).
void PutGroupRefs(std::string* body, const std::vector<GroupRef>& groups) {
  PutVarint64(body, groups.size());
  int64_t prev_max = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    const GroupRef& r = groups[g];
    PutVarsint64(body, g == 0 ? r.min_time : r.min_time - prev_max);
    PutVarint64(body, static_cast<uint64_t>(r.max_time - r.min_time));
    PutVarint64(body, r.file);
    PutVarint64(body, r.offset);
    PutVarint64(body, r.length);
    PutVarint64(body, r.chunks);
    PutVarint64(body, r.samples);
    prev_max = r.max_time;
  }
}

// Reads what PutGroupRefs wrote, checking that groups do not overlap and every field is sane.
// `body_size` bounds the count.
Status GetGroupRefs(Decoder* b, size_t body_size, std::vector<GroupRef>* out) {
  uint64_t groups;
  if (!b->GetVarint64(&groups) || groups > body_size) return Bad("index: bad group count");
  int64_t prev_max = 0;
  for (uint64_t g = 0; g < groups; ++g) {
    GroupRef r;
    int64_t delta;
    uint64_t span, file;
    if (!b->GetVarsint64(&delta) || !b->GetVarint64(&span) || !b->GetVarint64(&file) ||
        !b->GetVarint64(&r.offset) || !b->GetVarint64(&r.length) || !b->GetVarint64(&r.chunks) ||
        !b->GetVarint64(&r.samples)) {
      return Bad("index: truncated group");
    }
    if (g > 0 && (__builtin_add_overflow(prev_max, delta, &r.min_time) || delta <= 0)) {
      return Bad("index: groups overlap");
    }
    if (g == 0) r.min_time = delta;
    if (span > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_add_overflow(r.min_time, static_cast<int64_t>(span), &r.max_time)) {
      return Bad("index: bad group span");
    }
    if (file == 0 || file > UINT32_MAX || r.length < 5 || r.chunks == 0 || r.samples == 0 ||
        r.samples > kMaxGroupSamples) {
      return Bad("index: bad group reference");
    }
    r.file = static_cast<uint32_t>(file);
    prev_max = r.max_time;
    out->push_back(r);
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeIndex(const std::vector<SeriesEntry>& series, uint32_t version) {
  std::vector<std::string> symbols;
  for (const auto& s : series) {
    for (const auto& l : s.labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  auto sym = [&](const std::string& s) {
    return static_cast<uint64_t>(std::lower_bound(symbols.begin(), symbols.end(), s) -
                                 symbols.begin());
  };

  // Series section and postings, built separately and then placed.
  std::string series_bytes;
  std::vector<uint32_t> offsets;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<uint32_t>> postings;
  for (size_t i = 0; i < series.size(); ++i) {
    offsets.push_back(static_cast<uint32_t>(series_bytes.size()));
    std::string body;
    PutVarint64(&body, series[i].labels.size());
    for (const auto& l : series[i].labels) {
      uint64_t n = sym(l.name), v = sym(l.value);
      PutVarint64(&body, n);
      PutVarint64(&body, v);
      postings[{n, v}].push_back(static_cast<uint32_t>(i));
    }
    PutGroupRefs(&body, series[i].groups);
    if (version >= kFormatVersion) PutGroupRefs(&body, series[i].hour_groups);
    PutVarint64(&series_bytes, body.size());
    series_bytes += body;
    PutFixed32(&series_bytes, Crc32c(body));
  }
  std::string postings_bytes;
  std::string table;
  PutVarint64(&table, postings.size());
  for (const auto& [pair, ids] : postings) {
    size_t start = postings_bytes.size();
    PutVarint64(&postings_bytes, ids.size());
    uint32_t prev = 0;
    for (uint32_t id : ids) {
      PutVarint64(&postings_bytes, id - prev);
      prev = id;
    }
    PutCrcOf(&postings_bytes, start);
    PutVarint64(&table, pair.first);
    PutVarint64(&table, pair.second);
    PutVarint64(&table, start);
    PutVarint64(&table, postings_bytes.size() - start);
  }
  PutFixed32(&table, Crc32c(table));

  std::string out = EncodeFileHeader(kIndexMagic, version);
  Toc toc;
  toc.symbols = out.size();
  size_t start = out.size();
  PutVarint64(&out, symbols.size());
  for (const auto& s : symbols) PutLengthPrefixed(&out, s);
  PutCrcOf(&out, start);
  toc.series_offsets = out.size();
  start = out.size();
  PutFixed32(&out, static_cast<uint32_t>(offsets.size()));
  for (uint32_t o : offsets) PutFixed32(&out, o);
  PutCrcOf(&out, start);
  toc.postings_table = out.size();
  out += table;
  toc.series = out.size();
  out += series_bytes;
  toc.postings = out.size();
  out += postings_bytes;
  toc.toc = out.size();
  start = out.size();
  for (uint64_t v :
       {toc.symbols, toc.series_offsets, toc.postings_table, toc.series, toc.postings, toc.toc}) {
    PutFixed64(&out, v);
  }
  out += kTocMagic;
  PutCrcOf(&out, start);
  return out;
}

Result<Toc> DecodeToc(std::string_view bytes, uint64_t index_size) {
  std::string_view body;
  if (bytes.size() != kTocBytes || !SplitCrc(bytes, &body)) return Bad("index: bad toc checksum");
  if (body.substr(48) != kTocMagic) return Bad("index: bad toc magic");
  Decoder d(body);
  Toc t;
  for (uint64_t* v :
       {&t.symbols, &t.series_offsets, &t.postings_table, &t.series, &t.postings, &t.toc}) {
    d.GetFixed64(v);
  }
  if (t.symbols != kFileHeaderBytes || !(t.symbols <= t.series_offsets) ||
      !(t.series_offsets <= t.postings_table) || !(t.postings_table <= t.series) ||
      !(t.series <= t.postings) || !(t.postings <= t.toc) || t.toc + kTocBytes != index_size) {
    return Bad("index: toc offsets out of range");
  }
  return t;
}

Result<IndexHeader> DecodeIndexHeader(std::string_view prefix, uint64_t index_size) {
  IndexHeader h;
  if (Status s = CheckFileHeader(prefix, kIndexMagic, &h.version); !s.ok()) return s;
  size_t pos = kFileHeaderBytes;
  // Symbols: varint count, strings, crc. Their extent is found by parsing.
  {
    Decoder d(prefix.substr(pos));
    uint64_t n;
    if (!d.GetVarint64(&n) || n > prefix.size()) return Bad("index: bad symbol count");
    h.symbols.reserve(static_cast<size_t>(n));
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view s;
      if (!d.GetLengthPrefixed(&s)) return Bad("index: truncated symbols");
      if (!h.symbols.empty() && !(h.symbols.back() < s)) return Bad("index: symbols not sorted");
      h.symbols.emplace_back(s);
    }
    size_t len = prefix.size() - pos - d.remaining();
    std::string_view body;
    if (!SplitCrc(prefix.substr(pos, len + 4), &body)) return Bad("index: symbols checksum");
    pos += len + 4;
  }
  {
    if (prefix.size() < pos + 4) return Bad("index: truncated series offsets");
    uint32_t n = DecodeFixed32(reinterpret_cast<const uint8_t*>(prefix.data() + pos));
    uint64_t len = 4 + uint64_t{n} * 4;
    if (prefix.size() < pos + len + 4) return Bad("index: truncated series offsets");
    std::string_view body;
    if (!SplitCrc(prefix.substr(pos, len + 4), &body)) return Bad("index: series offsets checksum");
    h.series_offsets.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      h.series_offsets[i] =
          DecodeFixed32(reinterpret_cast<const uint8_t*>(prefix.data() + pos + 4 + 4 * i));
      if (i > 0 && h.series_offsets[i] <= h.series_offsets[i - 1]) {
        return Bad("index: series offsets not increasing");
      }
    }
    pos += len + 4;
  }
  {
    std::string_view body;
    if (!SplitCrc(prefix.substr(pos), &body)) return Bad("index: postings table checksum");
    Decoder d(body);
    uint64_t n;
    if (!d.GetVarint64(&n) || n > body.size()) return Bad("index: bad postings table count");
    h.postings.reserve(static_cast<size_t>(n));
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t name, value, off, len;
      if (!d.GetVarint64(&name) || !d.GetVarint64(&value) || !d.GetVarint64(&off) ||
          !d.GetVarint64(&len)) {
        return Bad("index: truncated postings table");
      }
      if (name >= h.symbols.size() || value >= h.symbols.size()) {
        return Bad("index: postings table symbol out of range");
      }
      PostingsTableEntry e{static_cast<uint32_t>(name), static_cast<uint32_t>(value), off, len};
      if (!h.postings.empty()) {
        const auto& p = h.postings.back();
        if (!(std::tie(p.name, p.value) < std::tie(e.name, e.value))) {
          return Bad("index: postings table not sorted");
        }
      }
      h.postings.push_back(e);
    }
    if (!d.empty()) return Bad("index: trailing bytes in postings table");
    pos = prefix.size();
  }
  // The TOC is not part of the prefix; the sections' ends are checked against the object size.
  h.series_start = prefix.size();
  if (index_size < h.series_start + kTocBytes) return Bad("index: header longer than the index");
  uint64_t toc_start = index_size - kTocBytes;
  // Series entries end where postings start; postings lengths bound the postings section.
  uint64_t postings_bytes = 0;
  for (const auto& e : h.postings) {
    if (e.offset != postings_bytes) return Bad("index: postings lists not contiguous");
    postings_bytes += e.length;
  }
  if (postings_bytes > toc_start - h.series_start) return Bad("index: postings past the toc");
  h.postings_start = toc_start - postings_bytes;
  if (!h.series_offsets.empty() && h.series_start + h.series_offsets.back() >= h.postings_start) {
    return Bad("index: series offsets past the series section");
  }
  return h;
}

Result<SeriesEntry> DecodeSeriesEntry(std::string_view bytes, const IndexHeader& header) {
  Decoder d(bytes);
  uint64_t len;
  if (!d.GetVarint64(&len) || len + 4 != d.remaining())
    return Bad("index: bad series entry length");
  size_t body_start = bytes.size() - d.remaining();
  std::string_view body;
  if (!SplitCrc(bytes.substr(body_start), &body)) return Bad("index: series entry checksum");
  Decoder b(body);
  uint64_t n;
  if (!b.GetVarint64(&n) || n > body.size()) return Bad("index: bad label count");
  std::vector<model::Label> pairs;
  pairs.reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t name, value;
    if (!b.GetVarint64(&name) || !b.GetVarint64(&value) || name >= header.symbols.size() ||
        value >= header.symbols.size()) {
      return Bad("index: bad series labels");
    }
    pairs.push_back({header.symbols[name], header.symbols[value]});
  }
  auto labels = model::Labels::FromSorted(std::move(pairs));
  if (!labels.ok()) return Bad("index: series labels: " + labels.status().message());
  SeriesEntry e;
  e.labels = std::move(labels).value();
  STRATA_RETURN_IF_ERROR(GetGroupRefs(&b, body.size(), &e.groups));
  if (header.version >= kFormatVersion) {
    STRATA_RETURN_IF_ERROR(GetGroupRefs(&b, body.size(), &e.hour_groups));
  }
  if (!b.empty()) return Bad("index: trailing bytes in series entry");
  return e;
}

Result<std::vector<uint32_t>> DecodePostingsList(std::string_view bytes, size_t series_count) {
  std::string_view body;
  if (!SplitCrc(bytes, &body)) return Bad("index: postings checksum");
  Decoder d(body);
  uint64_t n;
  if (!d.GetVarint64(&n) || n > series_count) return Bad("index: bad postings count");
  std::vector<uint32_t> ids;
  ids.reserve(static_cast<size_t>(n));
  uint64_t cur = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta;
    if (!d.GetVarint64(&delta) || (i > 0 && delta == 0)) return Bad("index: bad postings");
    cur += delta;
    if (cur >= series_count) return Bad("index: postings past the series count");
    ids.push_back(static_cast<uint32_t>(cur));
  }
  if (!d.empty()) return Bad("index: trailing bytes in postings");
  return ids;
}

// ---- chunk files ----

std::string EncodeFileHeader(std::string_view magic, uint32_t version) {
  std::string out(magic);
  out.push_back(static_cast<char>(version));
  out.append(3, '\0');
  return out;
}

Status CheckFileHeader(std::string_view bytes, std::string_view magic, uint32_t* version) {
  if (bytes.size() < kFileHeaderBytes || bytes.substr(0, magic.size()) != magic) {
    return Bad("bad magic");
  }
  uint8_t v = static_cast<uint8_t>(bytes[8]);
  if (!KnownFormatVersion(v)) return Bad("unknown format version " + std::to_string(v));
  if (version != nullptr) *version = v;
  return Status::Ok();
}

namespace {

// Powers of ten: exact doubles up to 1e22; kNegPow10[k] is the double nearest 10^-k (what the
// literal 1e-k is).
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
constexpr double kNegPow10[] = {1e0,   1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,  1e-8, 1e-9,
                                1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18};
constexpr int kMaxDecimalDigits = 18;
constexpr int64_t kMaxMantissa = int64_t{1} << 53;

// The mantissa of `v` for (mode, k), when DecimalScale (the decoders' formula) gives back
// exactly v.
bool DecimalMantissa(double v, int mode, int k, int64_t* m) {
  if (!std::isfinite(v)) return false;
  double scaled = std::round(v * kPow10[k]);
  if (!(std::fabs(scaled) < static_cast<double>(kMaxMantissa))) return false;
  *m = static_cast<int64_t>(scaled);
  return std::bit_cast<uint64_t>(DecimalScale(mode, k)(*m)) == std::bit_cast<uint64_t>(v);
}

}  // namespace

bool FindDecimalScale(size_t n, const std::function<double(size_t)>& value, int* mode, int* k,
                      std::vector<int64_t>* mantissas) {
  for (int kk = 0; kk <= kMaxDecimalDigits; ++kk) {
    for (int md = 0; md < (kk == 0 ? 1 : 2); ++md) {
      mantissas->clear();
      bool ok = true;
      for (size_t i = 0; i < n; ++i) {
        int64_t m;
        if (!DecimalMantissa(value(i), md, kk, &m)) {
          ok = false;
          break;
        }
        mantissas->push_back(m);
      }
      if (ok) {
        *mode = md;
        *k = kk;
        return true;
      }
    }
  }
  return false;
}

// Mode 0 divides by 10^k (k = 0 divides by 1, which is exact), mode 1 multiplies by the double
// nearest 10^-k.
DecimalScale::DecimalScale(int mode, int k)
    : divide_(mode == 0), factor_(mode == 0 ? kPow10[k] : kNegPow10[k]) {}

std::string SealGroup(std::string raw, bool compress) {
  std::string out;
  std::string packed;
  size_t n = 0;
  if (compress) {
    packed.resize(ZSTD_compressBound(raw.size()));
    n = ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), 3);
  }
  if (compress && !ZSTD_isError(n) && n + n / 7 < raw.size()) {
    out.push_back(static_cast<char>(kCodecZstd));
    out.append(packed.data(), n);
  } else {
    out.push_back(static_cast<char>(kCodecRaw));
    out += raw;
  }
  PutCrcOf(&out, 0);
  return out;
}

Status UnsealGroup(std::string_view stored, std::string* inflated, std::string_view* raw) {
  std::string_view body;
  if (stored.size() < 5 || !SplitCrc(stored, &body)) return Bad("group checksum mismatch");
  uint8_t codec = static_cast<uint8_t>(body[0]);
  std::string_view payload = body.substr(1);
  if (codec == kCodecZstd) {
    unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > kMaxDecodedGroupBytes) {
      return Bad("group: bad zstd frame size");
    }
    inflated->resize(static_cast<size_t>(size));
    // One decompression context per thread: creating one per group costs more than
    // decompressing a small group.
    struct Ctx {
      ZSTD_DCtx* ctx = ZSTD_createDCtx();
      ~Ctx() { ZSTD_freeDCtx(ctx); }
    };
    static thread_local Ctx dctx;
    size_t n =
        dctx.ctx != nullptr
            ? ZSTD_decompressDCtx(dctx.ctx, inflated->data(), inflated->size(), payload.data(),
                                  payload.size())
            : ZSTD_decompress(inflated->data(), inflated->size(), payload.data(), payload.size());
    if (ZSTD_isError(n) || n != size) return Bad("group: zstd frame does not decode");
    *raw = *inflated;
  } else if (codec == kCodecRaw) {
    *raw = payload;
  } else {
    return Bad("group: unknown codec " + std::to_string(codec));
  }
  return Status::Ok();
}

std::string EncodeGroup(const std::vector<std::string_view>& chunks, bool compress) {
  std::string raw;
  raw.push_back(static_cast<char>(kEncodingXor));
  PutVarint64(&raw, chunks.size());
  for (auto c : chunks) PutLengthPrefixed(&raw, c);
  return SealGroup(std::move(raw), compress);
}

std::string EncodeSampleGroup(std::span<const model::Sample> samples, uint64_t* chunks,
                              bool compress) {
  int mode = 0, k = 0;
  std::vector<int64_t> m;
  if (!samples.empty() &&
      FindDecimalScale(
          samples.size(), [&](size_t i) { return samples[i].value; }, &mode, &k, &m)) {
    std::string raw;
    raw.push_back(static_cast<char>(kEncodingDecimal));
    PutVarint64(&raw, samples.size());
    raw.push_back(static_cast<char>(mode));
    raw.push_back(static_cast<char>(k));
    // Timestamps: first, first delta, then deltas of deltas (wrapping, as in XOR chunks).
    uint64_t prev_delta = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      const uint64_t t = static_cast<uint64_t>(samples[i].timestamp_ms);
      if (i == 0) {
        PutVarsint64(&raw, samples[i].timestamp_ms);
        continue;
      }
      const uint64_t delta = t - static_cast<uint64_t>(samples[i - 1].timestamp_ms);
      PutVarsint64(&raw, static_cast<int64_t>(i == 1 ? delta : delta - prev_delta));
      prev_delta = delta;
    }
    // Values: first mantissa, then deltas.
    for (size_t i = 0; i < m.size(); ++i) PutVarsint64(&raw, i == 0 ? m[0] : m[i] - m[i - 1]);
    *chunks = 1;
    return SealGroup(std::move(raw), compress);
  }
  // XOR chunks of at most kXorChunkSamples samples.
  std::vector<std::string> bytes;
  XorChunk chunk;
  auto app = XorAppender::Open(&chunk);
  int n = 0;
  for (const auto& s : samples) {
    if (n == kXorChunkSamples) {
      bytes.emplace_back(reinterpret_cast<const char*>(chunk.bytes().data()), chunk.size_bytes());
      chunk = XorChunk();
      app = XorAppender::Open(&chunk);
      n = 0;
    }
    (void)app->Append(s.timestamp_ms, s.value);  // Sorted input: cannot fail.
    ++n;
  }
  if (n > 0) {
    bytes.emplace_back(reinterpret_cast<const char*>(chunk.bytes().data()), chunk.size_bytes());
  }
  std::vector<std::string_view> views(bytes.begin(), bytes.end());
  *chunks = views.size();
  return EncodeGroup(views, compress);
}

namespace {

// A zig-zag varint at *p (< end). False when truncated or longer than 64 bits.
[[gnu::always_inline]] inline bool ReadZigzag(const uint8_t** p, const uint8_t* end, int64_t* v) {
  uint64_t u;
  if (!ReadVarintBytewise(p, end, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

// DecodeDecimal's work: the samples land at out[base...]; an error may leave some there.
Status DecodeDecimalInto(const uint8_t* p, const uint8_t* endp, uint64_t count, const GroupRef& ref,
                         int64_t start, int64_t end, std::vector<model::Sample>* out, size_t base) {
  if (endp - p < 2) return Bad("group: bad decimal scale");
  const uint8_t mode = p[0], k = p[1];
  p += 2;
  if (mode > 1 || k > kMaxDecimalDigits) return Bad("group: bad decimal scale");
  if (ref.chunks != 1) return Bad("group: chunk count differs from the index");
  if (count != ref.samples) return Bad("group: sample count differs from the index");
  // The samples are decoded at the end of *out (count <= the group's bytes, checked by the
  // caller): timestamps first, checked for order and bounds once, then the values. They are
  // appended with their times, not resized first, which would write every sample twice.
  if (const size_t need = base + static_cast<size_t>(count); out->capacity() < need) {
    out->reserve(std::max(need, 2 * out->capacity()));  // Geometric, as resize grows.
  }
  uint64_t delta = 0;
  int64_t t = 0;
  for (uint64_t i = 0; i < count; ++i) {
    int64_t x;
    if (!ReadZigzag(&p, endp, &x)) return Bad("group: truncated timestamps");
    if (i == 0) {
      t = x;
    } else {
      delta = i == 1 ? static_cast<uint64_t>(x) : delta + static_cast<uint64_t>(x);
      const int64_t next = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
      if (next <= t) return Bad("group: samples out of order");
      t = next;
    }
    out->push_back({t, 0});
  }
  model::Sample* o = out->data() + base;
  const int64_t first = o[0].timestamp_ms, last = o[count - 1].timestamp_ms;
  if (first < ref.min_time || last > ref.max_time) {
    return Bad("group: sample outside its time range");
  }
  STRATA_RETURN_IF_ERROR(DecimalScale(mode, k).Dispatch([&](auto scale) {
    int64_t m = 0;
    for (uint64_t i = 0; i < count; ++i) {
      int64_t x;
      if (!ReadZigzag(&p, endp, &x)) return Bad("group: truncated values");
      if (__builtin_add_overflow(m, x, &m) || m >= kMaxMantissa || m <= -kMaxMantissa) {
        return Bad("group: value out of range");
      }
      o[i].value = scale(m);
    }
    return Status::Ok();
  }));
  if (p != endp) return Bad("group: trailing bytes");
  if (first < start || last > end) {  // Keep only [start, end].
    size_t kept = base;
    for (size_t i = base; i < out->size(); ++i) {
      const int64_t ti = (*out)[i].timestamp_ms;
      if (ti >= start && ti <= end) (*out)[kept++] = (*out)[i];
    }
    out->resize(kept);
  }
  return Status::Ok();
}

// Decodes a decimal group's body (after encoding and count) onto *out; on an error *out is
// put back as it was.
Status DecodeDecimal(const uint8_t* p, const uint8_t* endp, uint64_t count, const GroupRef& ref,
                     int64_t start, int64_t end, std::vector<model::Sample>* out) {
  const size_t base = out->size();
  Status s = DecodeDecimalInto(p, endp, count, ref, start, end, out, base);
  if (!s.ok()) out->resize(base);
  return s;
}

}  // namespace

Status DecodeGroupSamples(std::string_view stored, const GroupRef& ref, int64_t start, int64_t end,
                          std::vector<model::Sample>* out) {
  // One inflate buffer per thread (this does not reenter), so a read of many small compressed
  // groups does not allocate one each; a large one is given back after use.
  static thread_local std::string inflated;
  std::string_view raw;
  Status s = UnsealGroup(stored, &inflated, &raw);
  if (s.ok()) s = DecodeUnsealedSamples(raw, ref, start, end, out);
  if (inflated.capacity() > (1u << 20)) std::string().swap(inflated);
  return s;
}

Status DecodeUnsealedSamples(std::string_view raw, const GroupRef& ref, int64_t start, int64_t end,
                             std::vector<model::Sample>* out) {
  Decoder d(raw);
  uint8_t encoding;
  uint64_t count;
  if (!d.GetByte(&encoding)) return Bad("group: empty");
  if (!d.GetVarint64(&count) || count == 0 || count > raw.size()) {
    return Bad("group: bad count");
  }
  if (encoding == kEncodingDecimal) {
    const auto* endp = reinterpret_cast<const uint8_t*>(raw.data() + raw.size());
    return DecodeDecimal(endp - d.remaining(), endp, count, ref, start, end, out);
  }
  if (encoding != kEncodingXor) return Bad("group: unknown encoding " + std::to_string(encoding));
  if (count != ref.chunks) return Bad("group: chunk count differs from the index");
  uint64_t samples = 0;
  int64_t prev_t = 0;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view c;
    if (!d.GetLengthPrefixed(&c)) return Bad("group: truncated chunk");
    XorIterator it(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.data()), c.size()));
    while (it.Next()) {
      const int64_t t = it.t();
      if (t < ref.min_time || t > ref.max_time) return Bad("group: sample outside its time range");
      if (samples > 0 && t <= prev_t) return Bad("group: samples out of order");
      prev_t = t;
      ++samples;
      if (t >= start && t <= end) out->push_back({t, it.v()});
    }
    if (!it.status().ok()) return Bad("group: " + it.status().message());
  }
  if (!d.empty()) return Bad("group: trailing bytes");
  if (samples != ref.samples) return Bad("group: sample count differs from the index");
  return Status::Ok();
}

}  // namespace strata::storage::block
