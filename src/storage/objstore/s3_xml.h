// The small part of XML that S3 responses need: a parser into an element tree (elements, text,
// the five named entities and numeric character references, CDATA; attributes, comments,
// processing instructions and doctype are skipped), the decoders of the responses we read
// (ListObjectsV2, errors, multipart, DeleteObjects) and XML escaping for the bodies we send.
// Malformed input is an error, never a crash; nesting is bounded. Stateless, thread-safe.
// Private to storage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/object_store.h"

namespace strata::storage::objstore {

struct XmlElement {
  std::string name;  // Local name: a namespace prefix ("s3:Key") is dropped.
  std::string text;  // Character data directly inside this element, unescaped.
  std::vector<XmlElement> children;

  // The first child named `child`, or null.
  const XmlElement* Child(std::string_view child) const;
  // The text of the first child named `child`, or "" when there is none.
  std::string ChildText(std::string_view child) const;
};

// Parses one document; InvalidArgument describing the first problem (with its byte offset).
Result<XmlElement> ParseXml(std::string_view xml);

// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

// One page of a ListObjectsV2 response. Keys are the bucket's full keys.
struct ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string next_continuation_token;
};
// InvalidArgument for a malformed page (including IsTruncated without a continuation token).
Result<ListPage> ParseListObjectsV2(std::string_view xml);

// The Code and Message of an <Error> document; both empty if `xml` is not one.
struct S3ErrorInfo {
  std::string code;
  std::string message;
};
S3ErrorInfo ParseS3Error(std::string_view xml);

// The UploadId of an InitiateMultipartUploadResult.
Result<std::string> ParseUploadId(std::string_view xml);

// The per-key failures listed in a DeleteResult (empty when every key was deleted).
struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};
Result<std::vector<DeleteFailure>> ParseDeleteResult(std::string_view xml);

// "2026-12-01T17:49:13.000Z" (ISO 8601 in UTC, fraction optional) as Unix milliseconds.
Result<int64_t> ParseIso8601Ms(std::string_view text);

}  // namespace strata::storage::objstore
