// S3ObjectStore against a real S3 endpoint: s3rver behind tests/objstore/s3_verify_proxy.py,
// which re-verifies every signature with botocore and injects faults (testutil/s3.h). Every
// operation, awkward keys, > 1000 objects, multipart, virtual-host style, session tokens,
// credentials rejected with a clear 403, and the retry policy: 5xx/429 storms, dropped and
// truncated connections and slow answers are retried, other 4xx are not.
#include "storage/objstore/s3_object_store.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "storage/object_store.h"
#include "testutil/process.h"
#include "testutil/recording_http_server.h"
#include "testutil/s3.h"

namespace strata::storage::objstore {
namespace {

using testutil::S3TestEnv;

// One environment for the whole binary (starting node takes a second); each test resets the
// proxy and works under its own prefix.
S3TestEnv* SharedEnv() {
  static S3TestEnv env;  // Stopped by its destructor at exit.
  static bool started = env.Start();
  (void)started;
  return &env;
}

double CounterValue(prometheus::Registry& registry, const std::string& name,
                    const std::string& op = "") {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = op.empty();
      for (const auto& l : m.label) match |= (l.name == "op" && l.value == op);
      if (match) return m.counter.value;
    }
  }
  return -1;
}

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = SharedEnv();
    if (!env_->error().empty() || env_->proxy_port() == 0) {
      if (testutil::S3SkipAllowed()) GTEST_SKIP() << env_->error();
      FAIL() << env_->error();
    }
    ASSERT_TRUE(env_->ResetProxy());
    prefix_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  void TearDown() override {
    // Every request a correct client sent must have passed botocore's verification.
    if (env_ != nullptr && env_->proxy_port() != 0 && !expect_auth_failures_) {
      EXPECT_EQ(env_->Stat("auth_failures"), 0) << env_->ProxyLog();
    }
  }

  S3Options Options() const {
    S3Options o;
    o.endpoint = env_->endpoint();
    o.path_style = true;
    o.access_key_id = env_->access_key();
    o.secret_access_key = env_->secret_key();
    o.session_token = env_->session_token();
    o.retry_base_ms = 5;
    o.retry_max_ms = 50;
    o.request_timeout_ms = 10000;
    return o;
  }

  std::unique_ptr<S3ObjectStore> Open(const S3Options& o,
                                      prometheus::Registry* registry = nullptr) {
    auto s = S3ObjectStore::Open(env_->bucket(), prefix_, o, registry);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static std::vector<std::string> Keys(ObjectStore& store, const std::string& prefix) {
    Result<std::vector<ObjectInfo>> l = store.List(prefix);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    std::vector<std::string> keys;
    if (l.ok()) {
      for (const ObjectInfo& o : *l) keys.push_back(o.key);
    }
    return keys;
  }

  S3TestEnv* env_ = nullptr;
  std::string prefix_;
  bool expect_auth_failures_ = false;
};

TEST_F(S3ObjectStoreTest, EveryOperationPathStyle) {
  prometheus::Registry registry;
  auto store = Open(Options(), &registry);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "s3://" + env_->bucket() + "/" + prefix_);

  ASSERT_TRUE(store->Put("blk/chunks/000001", "0123456789").ok());
  ASSERT_TRUE(store->Put("blk/meta.json", "{}").ok());
  ASSERT_TRUE(store->Put("other/x", "").ok());
  EXPECT_EQ(*store->Get("blk/chunks/000001"), "0123456789");
  EXPECT_EQ(*store->Get("other/x"), "");
  EXPECT_EQ(*store->GetRange("blk/chunks/000001", {2, 3}), "234");
  EXPECT_EQ(*store->GetRange("blk/chunks/000001", {9, 1}), "9");
  EXPECT_EQ(*store->GetRange("blk/chunks/000001", {10, 0}), "");
  for (ByteRange past : {ByteRange{9, 2}, ByteRange{10, 1}, ByteRange{11, 0}, ByteRange{0, 11}}) {
    Result<std::string> r = store->GetRange("blk/chunks/000001", past);
    EXPECT_TRUE(r.status().IsInvalidArgument())
        << past.offset << "+" << past.length << " " << r.status().ToString();
  }
  // One GET per call (a zero-length range is a HEAD: {10, 0} and {11, 0}).
  EXPECT_EQ(env_->CountRequests("GET", "blk/chunks/000001"), 6);
  EXPECT_EQ(env_->CountRequests("HEAD", "blk/chunks/000001"), 2);

  Result<ObjectInfo> st = store->Stat("blk/chunks/000001");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->key, "blk/chunks/000001");
  EXPECT_EQ(st->size, 10u);
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(st->last_modified_ms), static_cast<double>(now_ms), 120000.0);

  Result<std::vector<ObjectInfo>> all = store->List("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].key, "blk/chunks/000001");
  EXPECT_EQ((*all)[0].size, 10u);
  EXPECT_GT((*all)[0].last_modified_ms, 0);
  EXPECT_EQ((*all)[1].key, "blk/meta.json");
  EXPECT_EQ((*all)[2].key, "other/x");
  EXPECT_EQ(Keys(*store, "blk/"), (std::vector<std::string>{"blk/chunks/000001", "blk/meta.json"}));
  EXPECT_EQ(Keys(*store, "blk/m"), (std::vector<std::string>{"blk/meta.json"}));
  EXPECT_TRUE(Keys(*store, "none/").empty());

  // Replace, then delete (a missing key is not an error).
  ASSERT_TRUE(store->Put("blk/meta.json", "{\"v\":2}").ok());
  EXPECT_EQ(*store->Get("blk/meta.json"), "{\"v\":2}");
  ASSERT_TRUE(store->Delete({"blk/meta.json", "blk/chunks/000001", "never/there"}).ok());
  EXPECT_TRUE(store->Get("blk/meta.json").status().IsNotFound());
  EXPECT_TRUE(store->GetRange("blk/meta.json", {0, 1}).status().IsNotFound());
  EXPECT_TRUE(store->GetRange("blk/meta.json", {0, 0}).status().IsNotFound());
  Result<ObjectInfo> gone = store->Stat("blk/meta.json");
  EXPECT_TRUE(gone.status().IsNotFound()) << gone.status().ToString();
  EXPECT_EQ(Keys(*store, ""), (std::vector<std::string>{"other/x"}));

  // Bad keys never reach the wire.
  int before = env_->Stat("requests");
  EXPECT_TRUE(store->Put("../x", "1").IsInvalidArgument());
  EXPECT_TRUE(store->Get("a//b").status().IsInvalidArgument());
  EXPECT_TRUE(store->Delete({"ok", "/abs"}).IsInvalidArgument());
  EXPECT_EQ(env_->Stat("requests"), before);

  EXPECT_EQ(CounterValue(registry, "strata_objstore_requests_total", "put"), 5);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_bytes_uploaded_total"), 19);
  // Object bytes only (not error bodies): 10 + 0 + 3 + 1 + 7.
  EXPECT_EQ(CounterValue(registry, "strata_objstore_bytes_downloaded_total"), 21);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_request_errors_total", "get_range"), 4);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "put"), 0);
}

TEST_F(S3ObjectStoreTest, KeysWithSpacesPlusAndReservedCharacters) {
  auto store = Open(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> keys = {
      "a b/c d",          "plus+sign/1+1=2",   "amp&semi;/x?y#z", "pct%20lit/%2B",
      "utf8/caf\xC3\xA9", "marks/(p)!*'~,$@:", "quote\"/<tag>",   "sp  ace/x",
      // Not tested: leading or trailing blanks in a key. S3 keeps them, but s3rver trims them
      // from the keys of a DeleteObjects body, so such an object would survive the delete.
  };
  for (const std::string& k : keys) ASSERT_TRUE(store->Put(k, "v:" + k).ok()) << k;
  for (const std::string& k : keys) {
    EXPECT_EQ(*store->Get(k), "v:" + k) << k;
    EXPECT_EQ(*store->GetRange(k, {0, 2}), "v:") << k;
    EXPECT_EQ(store->Stat(k)->size, k.size() + 2) << k;
  }
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Keys(*store, ""), sorted);
  EXPECT_EQ(Keys(*store, "plus+sign/"), (std::vector<std::string>{"plus+sign/1+1=2"}));
  EXPECT_EQ(Keys(*store, "a b/"), (std::vector<std::string>{"a b/c d"}));
  ASSERT_TRUE(store->Delete(keys).ok());
  EXPECT_TRUE(Keys(*store, "").empty());
}

TEST_F(S3ObjectStoreTest, ListingAndDeletingMoreThanAThousandObjects) {
  auto store = Open(Options());
  ASSERT_NE(store, nullptr);
  constexpr int kObjects = 1234;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kObjects; i += 4) {
        char key[32];
        std::snprintf(key, sizeof(key), "many/%05d+x", i);
        if (!store->Put(key, std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(env_->ResetProxy());

  std::vector<std::string> keys = Keys(*store, "many/");
  ASSERT_EQ(keys.size(), static_cast<size_t>(kObjects));
  for (int i = 0; i < kObjects; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "many/%05d+x", i);
    ASSERT_EQ(keys[static_cast<size_t>(i)], key);
  }
  // Two pages, the second fetched with the continuation token.
  EXPECT_EQ(env_->CountRequests("GET", "list-type=2"), 2);
  EXPECT_EQ(env_->CountRequests("GET", "continuation-token="), 1);

  ASSERT_TRUE(env_->ResetProxy());
  ASSERT_TRUE(store->Delete(keys).ok());
  // Two batches (of at most 1000 keys) succeeded. s3rver sometimes answers a batch with a 500
  // (a race in its file store), which the retry absorbs.
  int batches = 0;
  for (const auto& r : env_->RequestLog()) {
    batches += r.method == "POST" && r.target.ends_with("?delete=") && r.outcome == "200" ? 1 : 0;
  }
  EXPECT_EQ(batches, 2);
  EXPECT_TRUE(Keys(*store, "many/").empty());
}

TEST_F(S3ObjectStoreTest, MultipartUploadsFromMemoryAndFile) {
  S3Options o = Options();
  o.multipart_threshold_bytes = 64 << 10;
  prometheus::Registry registry;
  auto store = Open(o, &registry);
  ASSERT_NE(store, nullptr);
  std::string data((300 << 10) + 7, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 3);

  ASSERT_TRUE(store->Put("mp/mem", data).ok());
  EXPECT_EQ(env_->CountRequests("POST", "?uploads="), 1);
  EXPECT_EQ(env_->CountRequests("PUT", "partNumber="), 5);  // 4 x 64 KiB + the rest.
  EXPECT_EQ(env_->CountRequests("POST", "uploadId="), 1);
  EXPECT_EQ(*store->Get("mp/mem"), data);
  EXPECT_EQ(store->Stat("mp/mem")->size, data.size());
  EXPECT_EQ(*store->GetRange("mp/mem", {(64 << 10) - 3, 10}), data.substr((64 << 10) - 3, 10));

  // From a file, with a 503 on the second part and a dropped connection on the third.
  testutil::TempDir dir;
  const std::string path = dir.path() + "/block";
  std::reverse(data.begin(), data.end());
  std::ofstream(path, std::ios::binary) << data;
  ASSERT_TRUE(env_->ResetProxy());
  ASSERT_TRUE(env_->Fail(503, 1, "PUT", "partNumber=2"));
  ASSERT_TRUE(env_->Drop(1, "PUT", "partNumber=3"));
  ASSERT_TRUE(store->PutFile("mp/file", path).ok());
  EXPECT_EQ(env_->CountRequests("PUT", "partNumber="), 7);
  EXPECT_EQ(*store->Get("mp/file"), data);
  // The 503 is retried by us; the dropped request on a reused connection may be re-sent by
  // libcurl itself (it does so once when a kept-alive connection dies before any answer).
  EXPECT_GE(CounterValue(registry, "strata_objstore_retries_total", "put"), 1);
  EXPECT_LE(CounterValue(registry, "strata_objstore_retries_total", "put"), 2);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_requests_total", "put"), 2);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_bytes_uploaded_total"), 2.0 * data.size());

  // At the threshold exactly: one plain PUT.
  ASSERT_TRUE(env_->ResetProxy());
  ASSERT_TRUE(store->Put("mp/small", std::string(64 << 10, 's')).ok());
  EXPECT_EQ(env_->CountRequests("POST"), 0);
  EXPECT_EQ(env_->CountRequests("PUT"), 1);
}

TEST_F(S3ObjectStoreTest, MultipartCompleteWhoseAnswerIsLost) {
  S3Options o = Options();
  o.multipart_threshold_bytes = 16 << 10;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  // The upload completes but the answer is cut off; the retried Complete then gets what S3
  // answers for a finished upload, 404 NoSuchUpload (injected: s3rver would say 500), and the
  // client accepts the object after checking its size with a HEAD.
  ASSERT_TRUE(env_->InjectFaults(
      R"([{"kind": "truncate", "count": 1, "method": "POST", "path_contains": "uploadId="},
          {"kind": "error", "status": 404, "code": "NoSuchUpload", "count": 1, "method": "POST",
           "path_contains": "uploadId="}])"));
  const std::string data(40 << 10, 'c');
  Status s = store->Put("mp/lost-answer", data);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << env_->StatsJson();
  EXPECT_EQ(env_->CountRequests("POST", "uploadId="), 2);
  EXPECT_EQ(env_->CountRequests("HEAD", "mp/lost-answer"), 1);
  EXPECT_EQ(*store->Get("mp/lost-answer"), data);
  // Without an earlier attempt, NoSuchUpload is an error (the upload really is unknown).
  ASSERT_TRUE(env_->Fail(404, 1, "POST", "uploadId="));
  EXPECT_TRUE(store->Put("mp/unknown-upload", data).IsNotFound());
}

TEST_F(S3ObjectStoreTest, FailedMultipartUploadIsAborted) {
  S3Options o = Options();
  o.multipart_threshold_bytes = 16 << 10;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(env_->Fail(400, 1, "PUT", "partNumber=2"));
  Status s = store->Put("mp/doomed", std::string(40 << 10, 'x'));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 400"), std::string::npos) << s.ToString();
  EXPECT_EQ(env_->CountRequests("PUT", "partNumber=2"), 1);  // A 400 is not retried.
  EXPECT_EQ(env_->CountRequests("DELETE", "uploadId="), 1);  // AbortMultipartUpload.
  EXPECT_EQ(env_->CountRequests("POST", "uploadId="), 0);    // Never completed.
  EXPECT_TRUE(store->Stat("mp/doomed").status().IsNotFound());
  // A file that cannot be read is a clear error, before any request.
  ASSERT_TRUE(env_->ResetProxy());
  Status missing = store->PutFile("mp/nofile", "/nonexistent/strata/file");
  EXPECT_EQ(missing.code(), StatusCode::kIOError);
  EXPECT_NE(missing.message().find("/nonexistent/strata/file"), std::string::npos);
  EXPECT_EQ(env_->Stat("requests"), 0);
}

TEST_F(S3ObjectStoreTest, VirtualHostStyle) {
  S3Options o = Options();
  o.endpoint = env_->vhost_endpoint();
  o.path_style = false;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->UrlFor("k"), "http://" + env_->bucket() +
                                    ".s3.localhost:" + std::to_string(env_->proxy_port()) + "/k");
  ASSERT_TRUE(store->Put("v h/1+1", "vhost").ok());
  EXPECT_EQ(*store->Get("v h/1+1"), "vhost");
  EXPECT_EQ(*store->GetRange("v h/1+1", {1, 3}), "hos");
  EXPECT_EQ(Keys(*store, ""), (std::vector<std::string>{"v h/1+1"}));
  ASSERT_TRUE(store->Delete({"v h/1+1"}).ok());
  EXPECT_TRUE(store->Get("v h/1+1").status().IsNotFound());
  // The requests carried the bucket in the host name, not in the path.
  for (const auto& r : env_->RequestLog()) {
    EXPECT_EQ(r.target.find("/" + env_->bucket()), std::string::npos) << r.target;
  }
  // Path style sees the same objects.
  auto path_store = Open(Options());
  ASSERT_NE(path_store, nullptr);
  ASSERT_TRUE(store->Put("shared", "x").ok());
  EXPECT_EQ(*path_store->Get("shared"), "x");
}

TEST_F(S3ObjectStoreTest, WrongSecretIsRejectedWithAClear403AndNotRetried) {
  expect_auth_failures_ = true;
  S3Options o = Options();
  o.secret_access_key = "not-the-secret";
  prometheus::Registry registry;
  auto store = Open(o, &registry);
  ASSERT_NE(store, nullptr);
  Status s = store->Put("k", "v");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  for (const char* part : {"HTTP 403", "SignatureDoesNotMatch", "access denied", "PUT"}) {
    EXPECT_NE(s.message().find(part), std::string::npos) << part << " in " << s.message();
  }
  Result<std::vector<ObjectInfo>> l = store->List("");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("SignatureDoesNotMatch"), std::string::npos);
  Result<ObjectInfo> st = store->Stat("k");  // HEAD: no body, still a clear 403.
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("HTTP 403"), std::string::npos) << st.status().message();
  EXPECT_EQ(env_->Stat("requests"), 3);
  EXPECT_EQ(env_->Stat("auth_failures"), 3);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "put"), 0);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_request_errors_total", "put"), 1);

  // An unknown access key is rejected as well.
  o = Options();
  o.access_key_id = "AKIDUNKNOWN";
  store = Open(o);
  ASSERT_NE(store, nullptr);
  s = store->Put("k", "v");
  EXPECT_NE(s.message().find("InvalidAccessKeyId"), std::string::npos) << s.ToString();
}

TEST_F(S3ObjectStoreTest, RetriesThroughA503StormAnd429s) {
  prometheus::Registry registry;
  auto store = Open(Options(), &registry);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(env_->Fail(503, 4));
  ASSERT_TRUE(store->Put("storm", "survived").ok());
  ASSERT_TRUE(env_->Fail(429, 2));
  ASSERT_TRUE(env_->Fail(500, 1));
  EXPECT_EQ(*store->Get("storm"), "survived");
  ASSERT_TRUE(env_->Fail(503, 3));
  EXPECT_EQ(Keys(*store, ""), (std::vector<std::string>{"storm"}));
  EXPECT_EQ(env_->Stat("faults_injected"), 10);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "put"), 4);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "get"), 3);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "list"), 3);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_request_errors_total", "put"), 0);
}

TEST_F(S3ObjectStoreTest, GivesUpAfterMaxAttempts) {
  S3Options o = Options();
  o.max_attempts = 3;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(env_->Fail(503, 10));
  Status s = store->Put("never", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("HTTP 503 SlowDown"), std::string::npos) << s.message();
  EXPECT_EQ(env_->Stat("requests"), 3);
  // Connection refused: a port nothing listens on.
  S3Options dead = Options();
  dead.endpoint = "http://127.0.0.1:1";
  dead.max_attempts = 2;
  auto dead_store = Open(dead);
  ASSERT_NE(dead_store, nullptr);
  Result<std::string> r = dead_store->Get("x");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("gave up after 2 attempts"), std::string::npos)
      << r.status().message();
}

TEST_F(S3ObjectStoreTest, RetriesDroppedAndTruncatedConnections) {
  prometheus::Registry registry;
  auto store = Open(Options(), &registry);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(env_->Drop(3, "PUT"));
  ASSERT_TRUE(store->Put("dropped", std::string(100000, 'd')).ok());
  ASSERT_TRUE(env_->Drop(1, "GET"));
  ASSERT_TRUE(env_->Truncate(2, "GET"));
  EXPECT_EQ(*store->Get("dropped"), std::string(100000, 'd'));
  ASSERT_TRUE(env_->Truncate(1, "GET"));
  EXPECT_EQ(*store->GetRange("dropped", {10, 1000}), std::string(1000, 'd'));
  ASSERT_TRUE(env_->Drop(3, "POST"));
  ASSERT_TRUE(store->Delete({"dropped"}).ok());
  EXPECT_TRUE(store->Stat("dropped").status().IsNotFound());
  int drops = 0;
  for (const auto& r : env_->RequestLog()) drops += r.outcome == "drop" ? 1 : 0;
  EXPECT_EQ(drops, 7);
  EXPECT_EQ(env_->Stat("faults_injected"), 10);
  // libcurl re-sends once by itself when a reused connection dies unanswered; every other
  // failed attempt is our retry. Truncated bodies are always ours to retry.
  EXPECT_GE(CounterValue(registry, "strata_objstore_retries_total", "put"), 2);
  EXPECT_GE(CounterValue(registry, "strata_objstore_retries_total", "get"), 2);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "get_range"), 1);
  EXPECT_GE(CounterValue(registry, "strata_objstore_retries_total", "delete"), 2);
}

TEST_F(S3ObjectStoreTest, SlowEndpointHitsTheTimeoutAndIsRetried) {
  S3Options o = Options();
  o.request_timeout_ms = 400;
  prometheus::Registry registry;
  auto store = Open(o, &registry);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("slow", "v1").ok());
  ASSERT_TRUE(env_->Delay(2000, 1, "GET"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(*store->Get("slow"), "v1");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900));
  ASSERT_TRUE(env_->Delay(2000, 1, "PUT"));
  ASSERT_TRUE(store->Put("slow", "v2").ok());
  EXPECT_EQ(*store->Get("slow"), "v2");
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "get"), 1);
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "put"), 1);
  // Every attempt times out: DeadlineExceeded, after max_attempts.
  o.max_attempts = 2;
  store = Open(o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(env_->Delay(1500, 2));
  Result<std::string> r = store->Get("slow");
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  // The proxy saw each timed-out attempt give up (it then forwards nothing, so the late PUT
  // never lands after the retried one).
  auto timeouts = [&] {
    int n = 0;
    for (const auto& l : env_->RequestLog()) n += l.outcome == "timeout" ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(testutil::WaitFor([&] { return timeouts() == 4; }, std::chrono::seconds(10)))
      << env_->StatsJson();
  EXPECT_EQ(*store->Get("slow"), "v2");
}

// Interrupt() (shutdown) ends a request that hangs on a slow endpoint, and the retries after
// it, long before their timeouts; later requests fail at once.
TEST_F(S3ObjectStoreTest, InterruptEndsAHangingRequest) {
  S3Options o = Options();
  o.request_timeout_ms = 60000;
  o.max_attempts = 6;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("hang", "v").ok());
  ASSERT_TRUE(env_->Delay(50000, 6, "GET"));
  Result<std::string> r = Status::Internal("not run");
  const auto start = std::chrono::steady_clock::now();
  std::thread t([&] { r = store->Get("hang"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  store->Interrupt();
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(store->Get("hang").status().code(), StatusCode::kCancelled);
}

TEST_F(S3ObjectStoreTest, ClientErrorsAreNotRetried) {
  prometheus::Registry registry;
  auto store = Open(Options(), &registry);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("k", "v").ok());
  for (int status : {400, 403, 404, 409, 412}) {
    SCOPED_TRACE(status);
    ASSERT_TRUE(env_->ResetProxy());
    ASSERT_TRUE(env_->Fail(status, 1));
    Result<std::string> r = store->Get("k");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("HTTP " + std::to_string(status)), std::string::npos)
        << r.status().message();
    EXPECT_EQ(r.status().IsNotFound(), status == 404);
    EXPECT_EQ(env_->Stat("requests"), 1);
  }
  EXPECT_EQ(CounterValue(registry, "strata_objstore_retries_total", "get"), 0);
  EXPECT_EQ(*store->Get("k"), "v");
}

TEST_F(S3ObjectStoreTest, OpenObjectStoreWithAnS3Url) {
  ObjectStoreOptions o;
  o.url = env_->url(prefix_ + "/via-url/");
  o.s3 = Options();
  Result<std::unique_ptr<ObjectStore>> store = OpenObjectStore(o, "/unused", nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Describe(), "s3://" + env_->bucket() + "/" + prefix_ + "/via-url");
  ASSERT_TRUE((*store)->Put("a", "1").ok());
  auto outer = Open(Options());
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(Keys(*outer, ""), (std::vector<std::string>{"via-url/a"}));
  EXPECT_EQ(*outer->Get("via-url/a"), "1");
}

// Its own environment: the proxy then demands the session token on every request.
// Options for a stand-in S3 endpoint (testutil::RecordingHttpServer) at `url`.
S3Options FakeEndpoint(const std::string& url) {
  S3Options o;
  o.endpoint = url;
  o.path_style = true;
  o.access_key_id = "AKID";
  o.secret_access_key = "secret";
  return o;
}

// A ListObjectsV2 endpoint whose pages cycle (tokens A -> B -> A ...) or repeat keys: an error,
// not a listing that loops for ever and grows without bound.
TEST(S3ListingTest, CyclingTokensAndRepeatedKeysAreErrorsNotEndlessLoops) {
  auto page = [](const std::string& next, const std::string& key) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>"
           "<IsTruncated>true</IsTruncated><NextContinuationToken>" +
           next + "</NextContinuationToken><Contents><Key>" + key +
           "</Key><Size>1</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
           "</Contents></ListBucketResult>";
  };
  for (bool cycle : {true, false}) {
    SCOPED_TRACE(cycle ? "cycling tokens" : "repeated keys");
    testutil::RecordingHttpServer server({200}, [&](const std::string& line) {
      static const std::string kA = "continuation-token=A", kB = "continuation-token=B";
      if (cycle) {
        if (line.find(kA) != std::string::npos) return page("B", "k2");
        if (line.find(kB) != std::string::npos) return page("A", "k3");
        return page("A", "k1");
      }
      // New tokens every time, the same key again.
      static int n = 0;
      return page("T" + std::to_string(++n), "k1");
    });
    S3Options o = FakeEndpoint(server.url());
    o.max_attempts = 1;
    auto store = S3ObjectStore::Open("bkt", "", o, nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Result<std::vector<ObjectInfo>> r = (*store)->List("");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(cycle ? "did not advance" : "not in order"),
              std::string::npos)
        << r.status().ToString();
    EXPECT_LE(server.count(), 4u);
  }
}

// Which answers are retried: S3's 400 RequestTimeout is (AWS advises it), 501 is not.
TEST(S3RetryTest, RequestTimeoutIsRetriedAndNotImplementedIsNot) {
  S3Options o = FakeEndpoint("");
  o.retry_base_ms = 1;
  o.retry_max_ms = 5;
  {
    int calls = 0;
    testutil::RecordingHttpServer server({400, 200}, [&](const std::string&) {
      return ++calls == 1 ? std::string(
                                "<Error><Code>RequestTimeout</Code><Message>Your socket "
                                "connection to the server was not read from or written "
                                "to within the timeout period.</Message></Error>")
                          : std::string("hello");
    });
    o.endpoint = server.url();
    auto store = S3ObjectStore::Open("bkt", "", o, nullptr);
    ASSERT_TRUE(store.ok());
    Result<std::string> r = (*store)->Get("k");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, "hello");
    EXPECT_EQ(server.count(), 2u);
  }
  {
    testutil::RecordingHttpServer server({501}, [](const std::string&) {
      return std::string("<Error><Code>NotImplemented</Code><Message>no</Message></Error>");
    });
    o.endpoint = server.url();
    auto store = S3ObjectStore::Open("bkt", "", o, nullptr);
    ASSERT_TRUE(store.ok());
    EXPECT_FALSE((*store)->Get("k").ok());
    EXPECT_EQ(server.count(), 1u);
  }
}

// An endpoint that ignores Range and answers 200 with the whole object: a small object is
// sliced, a large one is refused after about a megabyte instead of being downloaded whole.
TEST(S3RangeTest, AServerIgnoringRangeIsRefusedForLargeObjects) {
  S3Options o = FakeEndpoint("");
  o.max_attempts = 1;
  for (size_t size : {size_t{1000}, size_t{8} << 20}) {
    SCOPED_TRACE(size);
    const std::string object(size, 'x');
    testutil::RecordingHttpServer server({200}, [&](const std::string&) { return object; });
    o.endpoint = server.url();
    auto store = S3ObjectStore::Open("bkt", "", o, nullptr);
    ASSERT_TRUE(store.ok());
    Result<std::string> r = (*store)->GetRange("k", {10, 20});
    if (size == 1000) {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(*r, std::string(20, 'x'));
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.status().message().find("larger than"), std::string::npos)
          << r.status().ToString();
    }
  }
}

TEST(S3SessionTokenTest, TokenIsSignedAndRequired) {
  S3TestEnv env;
  S3TestEnv::Config config;
  config.session_token = "FQoGZXIvYXdzE/token+with=chars";
  if (!env.Start(config)) {
    if (testutil::S3SkipAllowed()) GTEST_SKIP() << env.error();
    FAIL() << env.error();
  }
  S3Options o;
  o.endpoint = env.endpoint();
  o.path_style = true;
  o.access_key_id = env.access_key();
  o.secret_access_key = env.secret_key();
  o.session_token = env.session_token();
  auto store = S3ObjectStore::Open(env.bucket(), "", o, nullptr);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("t", "token").ok());
  EXPECT_EQ(*(*store)->Get("t"), "token");
  EXPECT_EQ(env.Stat("auth_failures"), 0) << env.ProxyLog();

  o.session_token.clear();
  auto without = S3ObjectStore::Open(env.bucket(), "", o, nullptr);
  ASSERT_TRUE(without.ok());
  Result<std::string> r = (*without)->Get("t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("InvalidToken"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace strata::storage::objstore
