#include "storage/objstore/s3_xml.h"

#include <charconv>
#include <chrono>

namespace strata::storage::objstore {

namespace {

// Deeper documents are refused: S3 responses nest three or four levels.
constexpr int kMaxDepth = 32;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '_' || c == '-' || c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<XmlElement> Document() {
    STRATA_RETURN_IF_ERROR(SkipMisc());
    if (pos_ >= s_.size() || s_[pos_] != '<') return Error("expected the root element");
    XmlElement root;
    STRATA_RETURN_IF_ERROR(Element(&root, 0));
    STRATA_RETURN_IF_ERROR(SkipMisc());
    if (pos_ != s_.size()) return Error("content after the root element");
    return root;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::InvalidArgument("malformed XML at byte " + std::to_string(pos_) + ": " +
                                   std::string(what));
  }

  bool StartsWith(std::string_view p) const { return s_.substr(pos_).starts_with(p); }

  // Moves past `end`, which must follow.
  Status SkipPast(std::string_view end, std::string_view what) {
    size_t e = s_.find(end, pos_);
    if (e == std::string_view::npos) return Error(std::string("unterminated ") + std::string(what));
    pos_ = e + end.size();
    return Status::Ok();
  }

  // Whitespace, comments, processing instructions and a doctype outside the root element.
  Status SkipMisc() {
    while (pos_ < s_.size()) {
      if (IsSpace(s_[pos_])) {
        ++pos_;
      } else if (StartsWith("<?")) {
        STRATA_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (StartsWith("<!--")) {
        STRATA_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (StartsWith("<!DOCTYPE")) {
        STRATA_RETURN_IF_ERROR(SkipPast(">", "doctype"));
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  std::string_view Name() {
    size_t start = pos_;
    while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }

  Status Unescape(std::string_view raw, std::string* out) {
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out->push_back(raw[i]);
        continue;
      }
      size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos || semi - i > 12) return Error("bad entity reference");
      std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt") {
        out->push_back('<');
      } else if (ent == "gt") {
        out->push_back('>');
      } else if (ent == "amp") {
        out->push_back('&');
      } else if (ent == "quot") {
        out->push_back('"');
      } else if (ent == "apos") {
        out->push_back('\'');
      } else if (ent.size() >= 2 && ent[0] == '#') {
        bool hex = ent[1] == 'x';
        std::string_view digits = ent.substr(hex ? 2 : 1);
        uint32_t cp = 0;
        auto [p, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
        if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || cp == 0 ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return Error("bad character reference &" + std::string(ent) + ";");
        }
        AppendUtf8(cp, out);
      } else {
        return Error("unknown entity &" + std::string(ent) + ";");
      }
      i = semi;
    }
    return Status::Ok();
  }

  // REQUIRES: s_[pos_] == '<' starting a start tag.
  Status Element(XmlElement* e, int depth) {
    if (depth > kMaxDepth) return Error("elements nested too deeply");
    ++pos_;
    std::string_view qname = Name();
    if (qname.empty()) return Error("expected an element name");
    size_t colon = qname.rfind(':');
    e->name = std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
    // Attributes: checked for well-formedness, not kept.
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) return Error("unterminated start tag <" + std::string(qname) + ">");
      if (StartsWith("/>")) {
        pos_ += 2;
        return Status::Ok();
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (Name().empty()) return Error("expected an attribute name");
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '=') return Error("expected '=' after an attribute");
      ++pos_;
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) {
        return Error("expected a quoted attribute value");
      }
      char quote = s_[pos_++];
      size_t end = s_.find(quote, pos_);
      if (end == std::string_view::npos) return Error("unterminated attribute value");
      pos_ = end + 1;
    }
    // Content.
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated element <" + std::string(qname) + ">");
      if (StartsWith("</")) {
        pos_ += 2;
        std::string_view end_name = Name();
        if (end_name != qname) {
          return Error("</" + std::string(end_name) + "> closes <" + std::string(qname) + ">");
        }
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') return Error("expected '>' in an end tag");
        ++pos_;
        return Status::Ok();
      }
      if (StartsWith("<!--")) {
        STRATA_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (StartsWith("<![CDATA[")) {
        size_t start = pos_ + 9;
        STRATA_RETURN_IF_ERROR(SkipPast("]]>", "CDATA section"));
        e->text.append(s_.substr(start, pos_ - 3 - start));
      } else if (StartsWith("<?")) {
        STRATA_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (s_[pos_] == '<') {
        e->children.emplace_back();
        STRATA_RETURN_IF_ERROR(Element(&e->children.back(), depth + 1));
      } else {
        size_t end = s_.find('<', pos_);
        if (end == std::string_view::npos) end = s_.size();
        STRATA_RETURN_IF_ERROR(Unescape(s_.substr(pos_, end - pos_), &e->text));
        pos_ = end;
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

Result<uint64_t> ParseU64(std::string_view text, std::string_view what) {
  text = Trim(text);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument("bad " + std::string(what) + " \"" + std::string(text) + "\"");
  }
  return v;
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child) const {
  for (const XmlElement& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child) const {
  const XmlElement* c = Child(child);
  return c ? c->text : std::string();
}

Result<XmlElement> ParseXml(std::string_view xml) { return Parser(xml).Document(); }

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Result<int64_t> ParseIso8601Ms(std::string_view text) {
  text = Trim(text);
  auto bad = [&] { return Status::InvalidArgument("bad timestamp \"" + std::string(text) + "\""); };
  // YYYY-MM-DDTHH:MM:SS[.fff...]Z
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text.back() != 'Z') {
    return bad();
  }
  auto num = [&](size_t pos, size_t len, int* out) {
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, *out);
    return ec == std::errc() && p == text.data() + pos + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) || !num(14, 2, &mi) ||
      !num(17, 2, &s) || h > 23 || mi > 59 || s > 60) {
    return bad();
  }
  int64_t ms = 0;
  std::string_view frac = text.substr(19, text.size() - 20);
  if (!frac.empty()) {
    if (frac[0] != '.' || frac.size() < 2) return bad();
    for (size_t i = 1; i < frac.size(); ++i) {
      if (frac[i] < '0' || frac[i] > '9') return bad();
    }
    int scale = 100;
    for (size_t i = 1; i < frac.size() && i <= 3; ++i, scale /= 10) ms += (frac[i] - '0') * scale;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return bad();
  int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return ((days * 24 + h) * 60 + mi) * 60000 + int64_t{s} * 1000 + ms;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  STRATA_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name != "ListBucketResult") {
    return Status::InvalidArgument("not a ListBucketResult but <" + root.name + ">");
  }
  ListPage page;
  for (const XmlElement& c : root.children) {
    if (c.name != "Contents") continue;
    const XmlElement* key = c.Child("Key");
    if (key == nullptr || key->text.empty()) {
      return Status::InvalidArgument("a <Contents> entry without a <Key>");
    }
    ObjectInfo info;
    info.key = key->text;
    const XmlElement* size = c.Child("Size");
    if (size == nullptr) return Status::InvalidArgument("no <Size> for key " + info.key);
    STRATA_ASSIGN_OR_RETURN(info.size, ParseU64(size->text, "<Size>"));
    if (const XmlElement* lm = c.Child("LastModified")) {
      STRATA_ASSIGN_OR_RETURN(info.last_modified_ms, ParseIso8601Ms(lm->text));
    }
    page.objects.push_back(std::move(info));
  }
  const std::string truncated_text = root.ChildText("IsTruncated");
  std::string_view truncated = Trim(truncated_text);
  if (truncated == "true") {
    page.truncated = true;
  } else if (!truncated.empty() && truncated != "false") {
    return Status::InvalidArgument("bad <IsTruncated> \"" + std::string(truncated) + "\"");
  }
  page.next_continuation_token = root.ChildText("NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return Status::InvalidArgument("a truncated listing without a <NextContinuationToken>");
  }
  return page;
}

S3ErrorInfo ParseS3Error(std::string_view xml) {
  Result<XmlElement> root = ParseXml(xml);
  if (!root.ok() || root->name != "Error") return {};
  return {std::string(Trim(root->ChildText("Code"))), root->ChildText("Message")};
}

Result<std::string> ParseUploadId(std::string_view xml) {
  STRATA_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  std::string id(Trim(root.ChildText("UploadId")));
  if (root.name != "InitiateMultipartUploadResult" || id.empty()) {
    return Status::InvalidArgument("no UploadId in <" + root.name + ">");
  }
  return id;
}

Result<std::vector<DeleteFailure>> ParseDeleteResult(std::string_view xml) {
  STRATA_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name != "DeleteResult") {
    return Status::InvalidArgument("not a DeleteResult but <" + root.name + ">");
  }
  std::vector<DeleteFailure> failures;
  for (const XmlElement& c : root.children) {
    if (c.name != "Error") continue;
    failures.push_back(
        {c.ChildText("Key"), std::string(Trim(c.ChildText("Code"))), c.ChildText("Message")});
  }
  return failures;
}

}  // namespace strata::storage::objstore
