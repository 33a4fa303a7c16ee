// The XML subset S3 responses use: ListObjectsV2 pages (truncated, entities), errors, multipart
// and DeleteObjects results, and malformed input, which must be an error and never a crash.
#include <gtest/gtest.h>

#include <random>

#include "storage/objstore/s3_xml.h"

namespace strata::storage::objstore {
namespace {

// A truncated page as S3 writes it (xmlns, declaration, entity-escaped key and token).
constexpr char kTruncatedPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bkt</Name>
  <Prefix>node-1/</Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>node-1/a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Key>
    <LastModified>2026-12-01T17:49:13.000Z</LastModified>
    <ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag>
    <Size>5</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>node-1/caf&#233; &#x1F600;</Key>
    <LastModified>1970-01-01T00:00:01.5Z</LastModified>
    <Size>18446744073709551615</Size>
  </Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;x</NextContinuationToken>
</ListBucketResult>)";

TEST(S3XmlTest, ParsesTruncatedListingPageWithEntities) {
  Result<ListPage> page = ParseListObjectsV2(kTruncatedPage);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "node-1/a & b <c> \"d\" 'e'");
  EXPECT_EQ(page->objects[0].size, 5u);
  EXPECT_EQ(page->objects[0].last_modified_ms, 1796147353000);
  EXPECT_EQ(page->objects[1].key, "node-1/caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(page->objects[1].size, UINT64_MAX);
  EXPECT_EQ(page->objects[1].last_modified_ms, 1500);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x");
}

TEST(S3XmlTest, ParsesLastPageAndEmptyListing) {
  Result<ListPage> page = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key> spaced </Key>"
      "<Size>0</Size></Contents></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_FALSE(page->truncated);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, " spaced ");  // Keys are never trimmed.
  EXPECT_EQ(page->objects[0].last_modified_ms, 0);

  page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  page = ParseListObjectsV2("<ListBucketResult/>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
}

TEST(S3XmlTest, RejectsInconsistentListings) {
  // Truncated without a token would make the caller loop forever.
  EXPECT_TRUE(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                 "</ListBucketResult>")
                  .status()
                  .IsInvalidArgument());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><IsTruncated>maybe</IsTruncated>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size></Contents>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
                                  "</Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>1</Size>"
                                  "<LastModified>yesterday</LastModified></Contents>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<Error><Code>AccessDenied</Code></Error>").ok());
}

TEST(S3XmlTest, ParsesErrorsMultipartAndDeleteResults) {
  S3ErrorInfo e = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
      "<Message>The request signature we calculated does not match</Message>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  EXPECT_EQ(e.message, "The request signature we calculated does not match");
  EXPECT_EQ(ParseS3Error("").code, "");
  EXPECT_EQ(ParseS3Error("<html>502</html>").code, "");

  Result<std::string> id = ParseUploadId(
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE&#43;x</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "VXBsb2FkIElE+x");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());

  Result<std::vector<DeleteFailure>> d = ParseDeleteResult(
      "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b&amp;c</Key>"
      "<Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].key, "b&c");
  EXPECT_EQ((*d)[0].code, "AccessDenied");
  d = ParseDeleteResult("<DeleteResult/>");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->empty());
}

TEST(S3XmlTest, TreeFeatures) {
  Result<XmlElement> root = ParseXml(
      "<!-- c --><a x='1' y=\"2>3\"><s3:b>t<![CDATA[<raw>&amp;]]>u</s3:b><c/><!-- c2 --></a>");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->name, "a");
  ASSERT_EQ(root->children.size(), 2u);
  EXPECT_EQ(root->children[0].name, "b");
  EXPECT_EQ(root->ChildText("b"), "t<raw>&amp;u");
  EXPECT_NE(root->Child("c"), nullptr);
  EXPECT_EQ(root->Child("d"), nullptr);
  EXPECT_EQ(XmlEscape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
}

TEST(S3XmlTest, RejectsMalformedXml) {
  for (const char* bad : {"",
                          "   ",
                          "text",
                          "<a>",
                          "<a></b>",
                          "<a><b></a></b>",
                          "<a>&bogus;</a>",
                          "<a>&#0;</a>",
                          "<a>&#xD800;</a>",
                          "<a>&#x110000;</a>",
                          "<a>& </a>",
                          "<a x=1></a>",
                          "<a x='1></a>",
                          "<a></a><b></b>",
                          "<a><!-- </a>",
                          "<a><![CDATA[x</a>",
                          "<>",
                          "</a>",
                          "<a/>junk",
                          "<?xml",
                          "<a>&#xZZ;</a>"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(ParseXml(bad).status().IsInvalidArgument());
  }
  // Nesting is bounded, so a hostile document cannot exhaust the stack.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  EXPECT_FALSE(ParseXml(deep).ok());
}

TEST(S3XmlTest, TruncationAndByteFlipsNeverCrash) {
  const std::string page = kTruncatedPage;
  for (size_t n = 0; n < page.size(); ++n) {
    Result<ListPage> r = ParseListObjectsV2(page.substr(0, n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
  }
  uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int i = 0; i < 5000; ++i) {
    std::string damaged = page;
    for (int j = 0; j < 3; ++j) {
      damaged[rng() % damaged.size()] = static_cast<char>(rng() & 0xff);
    }
    Result<ListPage> r = ParseListObjectsV2(damaged);  // Any outcome but a crash.
    if (r.ok()) {
      EXPECT_LE(r->objects.size(), 2u);
    }
  }
}

TEST(S3XmlTest, ParsesIso8601) {
  EXPECT_EQ(*ParseIso8601Ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601Ms("2026-12-01T17:49:13.123Z"), 1796147353123);
  EXPECT_EQ(*ParseIso8601Ms("2026-12-01T17:49:13.123456Z"), 1796147353123);
  EXPECT_EQ(*ParseIso8601Ms("2000-02-29T00:00:00Z"), 951782400000);
  for (const char* bad : {"", "2026-12-01", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-12-01T25:00:00Z", "2026-12-01T00:00:00", "2026-12-01T00:00:00.Z",
                          "2026-12-01T00:00:00.1xZ", "abcd-12-01T00:00:00Z"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseIso8601Ms(bad).ok());
  }
}

}  // namespace
}  // namespace strata::storage::objstore
