// SigV4 signer against published vectors: the AWS SigV4 test suite as kept in awslabs/aws-c-auth
// (tests/aws-signing-test-suite/v4, commit 495329c; S3 mode, i.e. the "unnormalized" cases:
// no path normalisation, single encoding) and the worked S3 examples of the AWS S3 API
// reference ("Signature Calculations for the Authorization Header").
#include <gtest/gtest.h>

#include "storage/objstore/crypto.h"
#include "storage/objstore/sigv4.h"

namespace strata::storage::objstore {
namespace {

struct Vector {
  const char* name;
  std::string method;
  std::string path;  // Decoded.
  HeaderList query;  // Decoded.
  HeaderList headers;
  std::string payload_sha256;
  std::string session_token;
  std::string canonical_request;
  std::string signature;
};

constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kSuiteDate[] = "20150830T123600Z";
const SigV4Credentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
constexpr char kSuiteHost[] = "example.amazonaws.com";

// The canonical request of a suite vector with only host and x-amz-date signed.
std::string Plain(const std::string& method, const std::string& path, const std::string& query) {
  return method + "\n" + path + "\n" + query +
         "\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmpty;
}

std::vector<Vector> SuiteVectors() {
  const HeaderList host = {{"Host", kSuiteHost}};
  return {
      {"get-vanilla",
       "GET",
       "/",
       {},
       host,
       kEmpty,
       "",
       Plain("GET", "/", ""),
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case",
       "GET",
       "/",
       {{"Param2", "value2"}, {"Param1", "value1"}},
       host,
       kEmpty,
       "",
       Plain("GET", "/", "Param1=value1&Param2=value2"),
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-encoded",
       "GET",
       "/",
       {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xE1\x88\xB4", "Value1"}},
       host,
       kEmpty,
       "",
       Plain("GET", "/", "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"),
       "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
      {"get-vanilla-query-unreserved",
       "GET",
       "/",
       {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
       host,
       kEmpty,
       "",
       Plain("GET", "/",
             "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
             "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query",
       "GET",
       "/",
       {{"\xE1\x88\xB4", "bar"}},
       host,
       kEmpty,
       "",
       Plain("GET", "/", "%E1%88%B4=bar"),
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-vanilla-empty-query-key",
       "GET",
       "/",
       {{"Param1", "value1"}},
       host,
       kEmpty,
       "",
       Plain("GET", "/", "Param1=value1"),
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-unreserved",
       "GET",
       "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {},
       host,
       kEmpty,
       "",
       Plain("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", ""),
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8",
       "GET",
       "/\xE1\x88\xB4",
       {},
       host,
       kEmpty,
       "",
       Plain("GET", "/%E1%88%B4", ""),
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space-unnormalized",
       "GET",
       "/example space/",
       {},
       host,
       kEmpty,
       "",
       Plain("GET", "/example%20space/", ""),
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-slashes-unnormalized",
       "GET",
       "//example//",
       {},
       host,
       kEmpty,
       "",
       Plain("GET", "//example//", ""),
       "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"},
      {"get-header-value-trim",
       "GET",
       "/",
       {},
       {{"Host", kSuiteHost}, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       kEmpty,
       "",
       std::string("GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
                   "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n") +
           kEmpty,
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-header-key-duplicate",
       "GET",
       "/",
       {},
       {{"Host", kSuiteHost},
        {"My-Header1", "value2"},
        {"My-Header1", "value2"},
        {"My-Header1", "value1"}},
       kEmpty,
       "",
       std::string("GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
                   "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n") +
           kEmpty,
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order",
       "GET",
       "/",
       {},
       {{"Host", kSuiteHost},
        {"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"}},
       kEmpty,
       "",
       std::string("GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
                   "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n") +
           kEmpty,
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-vanilla-with-session-token",
       "GET",
       "/",
       {},
       host,
       kEmpty,
       "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
       std::string("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                   "x-amz-security-token:"
                   "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\n"
                   "host;x-amz-date;x-amz-security-token\n") +
           kEmpty,
       "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
      {"post-vanilla",
       "POST",
       "/",
       {},
       host,
       kEmpty,
       "",
       Plain("POST", "/", ""),
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query",
       "POST",
       "/",
       {{"Param1", "value1"}},
       host,
       kEmpty,
       "",
       Plain("POST", "/", "Param1=value1"),
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-header-key-sort",
       "POST",
       "/",
       {},
       {{"Host", kSuiteHost}, {"My-Header1", "value1"}},
       kEmpty,
       "",
       std::string("POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\n"
                   "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n") +
           kEmpty,
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {},
       {{"Content-Type", "application/x-www-form-urlencoded"},
        {"Host", kSuiteHost},
        {"Content-Length", "13"},
        {"x-amz-content-sha256",
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       "",
       "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n"
       "host:example.amazonaws.com\n"
       "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
       "x-amz-date:20150830T123600Z\n\n"
       "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"},
      {"post-sts-header-before",
       "POST",
       "/",
       {},
       host,
       kEmpty,
       "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxf"
       "pSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPk"
       "yQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz"
       "+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
       std::string(
           "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
           "x-amz-security-token:AQoDYXdzEPT//////////"
           "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqT"
           "flfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQD"
           "YwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64l"
           "IZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n\n"
           "host;x-amz-date;x-amz-security-token\n") +
           kEmpty,
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
  };
}

TEST(SigV4Test, AwsSigningTestSuiteVectors) {
  for (const Vector& v : SuiteVectors()) {
    SCOPED_TRACE(v.name);
    SigV4Request r{v.method, v.path, v.query, v.headers, v.payload_sha256};
    SigV4Credentials creds = kSuiteCreds;
    creds.session_token = v.session_token;
    SigV4Signature s = SignV4(r, creds, "us-east-1", "service", kSuiteDate);
    EXPECT_EQ(s.canonical_request, v.canonical_request);
    EXPECT_EQ(s.string_to_sign, std::string("AWS4-HMAC-SHA256\n") + kSuiteDate +
                                    "\n20150830/us-east-1/service/aws4_request\n" +
                                    Sha256Hex(v.canonical_request));
    EXPECT_EQ(s.signature, v.signature);
  }
}

TEST(SigV4Test, SuiteStringToSignAndAuthorizationHeader) {
  // get-vanilla: header-string-to-sign.txt and header-signed-request.txt, verbatim.
  SigV4Request r{"GET", "/", {}, {{"Host", kSuiteHost}}, kEmpty};
  SigV4Signature s = SignV4(r, kSuiteCreds, "us-east-1", "service", kSuiteDate);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  HeaderList want = {
      {"X-Amz-Date", "20150830T123600Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}};
  EXPECT_EQ(s.headers, want);

  // get-vanilla-with-session-token adds the token header to what is sent.
  SigV4Credentials with_token = kSuiteCreds;
  with_token.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  s = SignV4(r, with_token, "us-east-1", "service", kSuiteDate);
  ASSERT_EQ(s.headers.size(), 3u);
  EXPECT_EQ(s.headers[1].first, "X-Amz-Security-Token");
  EXPECT_EQ(s.headers[1].second, with_token.session_token);
}

// The S3 examples of the AWS S3 API reference (examplebucket, 2013-05-24).
const SigV4Credentials kS3DocCreds{"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr char kS3DocHost[] = "examplebucket.s3.amazonaws.com";

TEST(SigV4Test, S3DocumentationGetObjectWithRange) {
  SigV4Request r{"GET",
                 "/test.txt",
                 {},
                 {{"Host", kS3DocHost}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", kEmpty}},
                 kEmpty};
  SigV4Signature s = SignV4(r, kS3DocCreds, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_EQ(s.canonical_request,
            std::string("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                        "x-amz-content-sha256:") +
                kEmpty + "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;" +
                "x-amz-date\n" + kEmpty);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3DocumentationPutObject) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string sha = Sha256Hex(body);
  EXPECT_EQ(sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SigV4Request r{"PUT",
                 "/test$file.text",
                 {},
                 {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                  {"Host", kS3DocHost},
                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                  {"x-amz-content-sha256", sha}},
                 sha};
  SigV4Signature s = SignV4(r, kS3DocCreds, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_EQ(s.canonical_request,
            "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" +
                sha +
                "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" +
                sha);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, S3DocumentationSubresourceAndListing) {
  HeaderList headers = {{"Host", kS3DocHost}, {"x-amz-content-sha256", kEmpty}};
  // "?lifecycle": a parameter without a value is signed as "lifecycle=".
  SigV4Request lifecycle{"GET", "/", {{"lifecycle", ""}}, headers, kEmpty};
  SigV4Signature s = SignV4(lifecycle, kS3DocCreds, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_TRUE(s.canonical_request.starts_with("GET\n/\nlifecycle=\n")) << s.canonical_request;
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

  SigV4Request list{"GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, headers, kEmpty};
  s = SignV4(list, kS3DocCreds, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_TRUE(s.canonical_request.starts_with("GET\n/\nmax-keys=2&prefix=J\n"))
      << s.canonical_request;
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, EncodesKeysAndQueryValuesOnce) {
  EXPECT_EQ(UriEncode("a b+c/d=e&f%g~h", true), "a%20b%2Bc/d%3De%26f%25g~h");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  // Query values with reserved characters, as continuation tokens have; sorted by encoded name.
  EXPECT_EQ(CanonicalQueryString({{"list-type", "2"},
                                  {"continuation-token", "1/a+b=="},
                                  {"prefix", "x y"},
                                  {"uploads", ""}}),
            "continuation-token=1%2Fa%2Bb%3D%3D&list-type=2&prefix=x%20y&uploads=");
  // Equal names sort by value.
  EXPECT_EQ(CanonicalQueryString({{"a", "2"}, {"a", "1"}}), "a=1&a=2");
}

TEST(SigV4Test, FormatsAmzDate) {
  EXPECT_EQ(FormatAmzDate(std::chrono::system_clock::time_point(std::chrono::seconds(1440938160))),
            "20150830T123600Z");
}

TEST(SigV4Test, DigestHelpers) {
  EXPECT_EQ(Sha256Hex(""), kEmpty);
  // RFC 1321 test suite: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
  EXPECT_EQ(Md5Base64("abc"), Base64Encode(std::string("\x90\x01\x50\x98\x3c\xd2\x4f\xb0"
                                                       "\xd6\x96\x3f\x7d\x28\xe1\x7f\x72",
                                                       16)));
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  Sha256Hasher h;
  h.Update("Welcome to ");
  h.Update("Amazon S3.");
  EXPECT_EQ(h.FinishHex(), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}

}  // namespace
}  // namespace strata::storage::objstore
