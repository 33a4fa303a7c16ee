// Object store URLs, key validation, S3 options and endpoints, and credential sources.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "storage/object_store.h"
#include "storage/objstore/s3_credentials.h"
#include "storage/objstore/s3_object_store.h"
#include "testutil/process.h"

namespace strata::storage::objstore {
namespace {

TEST(ObjectStoreUrlTest, ParsesTheThreeForms) {
  Result<ObjectStoreUrl> u = ParseObjectStoreUrl("");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, ObjectStoreUrl::Kind::kLocal);
  EXPECT_EQ(u->path, "");

  u = ParseObjectStoreUrl("file:///var/lib/strata/cold/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, ObjectStoreUrl::Kind::kLocal);
  EXPECT_EQ(u->path, "/var/lib/strata/cold");
  u = ParseObjectStoreUrl("file:///data/my%20dir%2Bx");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path, "/data/my dir+x");

  u = ParseObjectStoreUrl("s3://my-bucket.example");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, ObjectStoreUrl::Kind::kS3);
  EXPECT_EQ(u->bucket, "my-bucket.example");
  EXPECT_EQ(u->prefix, "");
  u = ParseObjectStoreUrl("s3://bkt/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->prefix, "");
  u = ParseObjectStoreUrl("s3://bkt/strata/cold/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->bucket, "bkt");
  EXPECT_EQ(u->prefix, "strata/cold");
}

TEST(ObjectStoreUrlTest, RejectsBadUrlsNamingThem) {
  for (const char* bad : {"/var/lib/cold",
                          "cold",
                          "file://",
                          "file:///",
                          "file://host/path",
                          "file:relative",
                          "file:///a%2",
                          "file:///a%zz",
                          "file:///a%00b",
                          "file:///a?x=1",
                          "s3://",
                          "s3:///prefix",
                          "s3://Bucket",
                          "s3://ab",
                          "s3://-bucket",
                          "s3://bucket-",
                          "s3://bu_cket",
                          "s3://bucket//x",
                          "s3://bucket/a//b",
                          "s3://bucket/../x",
                          "s3://bucket/a?x",
                          "s3://bucket#f",
                          "gs://bucket",
                          "http://host/bucket",
                          "S3://bucket",
                          "s3://bucket/a\nb"}) {
    SCOPED_TRACE(bad);
    Result<ObjectStoreUrl> u = ParseObjectStoreUrl(bad);
    ASSERT_FALSE(u.ok());
    EXPECT_TRUE(u.status().IsInvalidArgument());
    EXPECT_NE(u.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << u.status().message();
  }
}

TEST(ObjectStoreUrlTest, OpenObjectStorePicksTheBackend) {
  testutil::TempDir dir;
  ObjectStoreOptions o;
  Result<std::unique_ptr<ObjectStore>> s = OpenObjectStore(o, dir.path() + "/cold", nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Describe(), "file://" + dir.path() + "/cold");

  o.url = "file://" + dir.path() + "/other";
  s = OpenObjectStore(o, dir.path() + "/cold", nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Describe(), "file://" + dir.path() + "/other");

  o.url = "s3://bkt/pre/fix";
  o.s3.endpoint = "http://127.0.0.1:1";
  o.s3.path_style = true;
  o.s3.access_key_id = "AK";
  o.s3.secret_access_key = "SK";
  s = OpenObjectStore(o, "", nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->Describe(), "s3://bkt/pre/fix");

  o.url = "ftp://x";
  s = OpenObjectStore(o, "", nullptr);
  EXPECT_TRUE(s.status().IsInvalidArgument());
  EXPECT_NE(s.status().message().find("ftp://x"), std::string::npos);
}

TEST(ObjectStoreKeyTest, ValidatesKeys) {
  for (const char* good : {"a", "node-1/01H/meta.json", "a b/c+d", "..a/b..", ".hidden", "a/.b"}) {
    EXPECT_TRUE(ValidateKey(good).ok()) << good;
  }
  for (const char* bad : {"", "/a", "a/", "a//b", "./a", "a/./b", "../a", "a/../b", "a/..", "a\nb",
                          "a\tb", "a/.strata-tmp.x.1.2", ".strata-tmp.y"}) {
    Status s = ValidateKey(bad);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad;
  }
}

S3Options TestS3Options() {
  S3Options o;
  o.endpoint = "http://127.0.0.1:9000";
  o.path_style = true;
  o.access_key_id = "AK";
  o.secret_access_key = "SK";
  return o;
}

TEST(S3OptionsTest, ValidatesOptionsAndEndpoints) {
  S3Options o = TestS3Options();
  EXPECT_TRUE(o.Validate().ok());
  auto open_fails = [](const S3Options& opts, std::string_view what) {
    Result<std::unique_ptr<S3ObjectStore>> s = S3ObjectStore::Open("bkt", "", opts, nullptr);
    ASSERT_FALSE(s.ok()) << what;
    EXPECT_TRUE(s.status().IsInvalidArgument()) << s.status().ToString();
    EXPECT_NE(s.status().message().find(what), std::string::npos) << s.status().message();
  };
  o.max_attempts = 0;
  open_fails(o, "max_attempts");
  o = TestS3Options();
  o.retry_max_ms = 1;
  open_fails(o, "retry");
  o = TestS3Options();
  o.region = "";
  open_fails(o, "region");
  o = TestS3Options();
  o.endpoint = "127.0.0.1:9000";
  open_fails(o, "127.0.0.1:9000");
  o.endpoint = "ftp://host";
  open_fails(o, "scheme");
  o.endpoint = "http://host/base";
  open_fails(o, "path");
  o.endpoint = "http://127.0.0.1:9000";
  o.path_style = false;
  open_fails(o, "path-style");
}

TEST(S3OptionsTest, BuildsPathAndVirtualHostUrls) {
  S3Options o = TestS3Options();
  auto path = S3ObjectStore::Open("bkt", "pre", o, nullptr);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ((*path)->UrlFor("pre/a b+c"), "http://127.0.0.1:9000/bkt/pre/a%20b%2Bc");
  EXPECT_EQ((*path)->UrlFor(""), "http://127.0.0.1:9000/bkt");
  o.endpoint = "https://s3.localhost:9443/";
  o.path_style = false;
  auto vhost = S3ObjectStore::Open("bkt", "", o, nullptr);
  ASSERT_TRUE(vhost.ok()) << vhost.status().ToString();
  EXPECT_EQ((*vhost)->UrlFor("k/ey"), "https://bkt.s3.localhost:9443/k/ey");
  o.endpoint = "";
  o.region = "eu-west-1";
  auto aws = S3ObjectStore::Open("bkt", "", o, nullptr);
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ((*aws)->UrlFor("k"), "https://bkt.s3.eu-west-1.amazonaws.com/k");
}

TEST(S3CredentialsTest, ParsesSharedCredentialsFile) {
  const char* file = R"(# comment
[default]
aws_access_key_id = AKDEFAULT
aws_secret_access_key=SKDEFAULT/+x
; another comment

[profile other]
aws_access_key_id=AKOTHER
aws_secret_access_key = SKOTHER
aws_session_token = TOKEN==

[incomplete]
aws_access_key_id=AKONLY
)";
  Result<SigV4Credentials> c = ParseCredentialsFile(file, "default", "f");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKDEFAULT");
  EXPECT_EQ(c->secret_access_key, "SKDEFAULT/+x");
  EXPECT_EQ(c->session_token, "");
  c = ParseCredentialsFile(file, "other", "f");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKOTHER");
  EXPECT_EQ(c->session_token, "TOKEN==");
  EXPECT_TRUE(ParseCredentialsFile(file, "incomplete", "f").status().IsNotFound());
  EXPECT_TRUE(ParseCredentialsFile(file, "missing", "f").status().IsNotFound());
  EXPECT_TRUE(ParseCredentialsFile("", "default", "f").status().IsNotFound());
}

// Mutates the environment, so it runs alone in its process (gtest runs tests sequentially and
// nothing here reads the environment concurrently).
TEST(S3CredentialsTest, SourcesInOrder) {
  testutil::TempDir dir;
  const std::string file = dir.path() + "/credentials";
  std::ofstream(file) << "[default]\naws_access_key_id=FILEAK\naws_secret_access_key=FILESK\n";
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
  S3Options o;
  o.credentials_file = file;
  Result<SigV4Credentials> c = LoadS3Credentials(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "FILEAK");

  ::setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "ENVSK", 1);
  ::setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
  c = LoadS3Credentials(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "ENVAK");
  EXPECT_EQ(c->session_token, "ENVTOKEN");

  o.access_key_id = "OPTAK";
  o.secret_access_key = "OPTSK";
  c = LoadS3Credentials(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "OPTAK");

  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
  S3Options none;
  none.credentials_file = dir.path() + "/missing";
  c = LoadS3Credentials(none);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(c.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_NE(c.status().message().find(none.credentials_file), std::string::npos);
  // OpenObjectStore reports the same.
  ObjectStoreOptions so;
  so.url = "s3://bkt";
  so.s3 = none;
  so.s3.endpoint = "http://127.0.0.1:1";
  so.s3.path_style = true;
  EXPECT_EQ(OpenObjectStore(so, "", nullptr).status().code(), StatusCode::kUnavailable);
}

// The profile: the option, else $AWS_PROFILE, else [default] (as the AWS tools pick it).
TEST(S3CredentialsTest, ProfileFromTheOptionOrAwsProfile) {
  testutil::TempDir dir;
  const std::string file = dir.path() + "/credentials";
  std::ofstream(file) << "[default]\naws_access_key_id=DEF\naws_secret_access_key=x\n"
                         "[prod]\naws_access_key_id=PROD\naws_secret_access_key=y\n"
                         "[ops]\naws_access_key_id=OPS\naws_secret_access_key=z\n";
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_PROFILE");
  S3Options o;
  o.credentials_file = file;
  EXPECT_EQ(LoadS3Credentials(o)->access_key_id, "DEF");
  ::setenv("AWS_PROFILE", "prod", 1);
  EXPECT_EQ(LoadS3Credentials(o)->access_key_id, "PROD");
  o.profile = "ops";
  EXPECT_EQ(LoadS3Credentials(o)->access_key_id, "OPS");
  o.profile = "nope";
  EXPECT_NE(LoadS3Credentials(o).status().message().find("no [nope] profile"), std::string::npos);
  ::unsetenv("AWS_PROFILE");
}

}  // namespace
}  // namespace strata::storage::objstore
