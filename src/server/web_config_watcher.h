// WebConfigWatcher: the live web config (--web.config.file) of the HTTP and OTLP/gRPC
// listeners. Open() loads it (an invalid file is a start-up error); a background thread then
// re-reads the file every `interval` and swaps in a new immutable WebState when the file's text
// or a TLS file it names changed. An invalid new version is logged and the old one kept, as is a
// change between TLS and plain HTTP (the listener's mode is fixed at start; restart for that).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/mutex.h"
#include "base/result.h"
#include "server/basic_auth.h"
#include "server/tls_context.h"
#include "server/web_config.h"

namespace strata::server {

// One loaded version of the web config. Immutable; shared by the connections using it.
struct WebState {
  WebConfig config;
  TlsMaterial tls_material;                        // Empty when TLS is off.
  std::shared_ptr<boost::asio::ssl::context> ssl;  // nullptr when TLS is off.
};

// Loads `path` and builds its TLS context: the check `strata serve` runs at start-up.
Result<std::shared_ptr<const WebState>> LoadWebState(const std::string& path);

class WebConfigWatcher {
 public:
  // Loads the file; the errors of LoadWebState.
  static Result<std::unique_ptr<WebConfigWatcher>> Open(std::string path);
  ~WebConfigWatcher();  // Calls Stop().
  WebConfigWatcher(const WebConfigWatcher&) = delete;
  WebConfigWatcher& operator=(const WebConfigWatcher&) = delete;
  WebConfigWatcher(WebConfigWatcher&&) = delete;
  WebConfigWatcher& operator=(WebConfigWatcher&&) = delete;

  // The current version. Cheap (a mutex and a reference count); never null.
  std::shared_ptr<const WebState> Current() const;

  // Checks the files now and reloads on a change. OK when unchanged or reloaded; the reload's
  // error otherwise (the old version stays).
  Status Poll();

  // Starts / stops the polling thread. Start() REQUIRES: not started.
  void Start(std::chrono::milliseconds interval = std::chrono::seconds(1));
  void Stop();

  // Checks basic auth credentials against the current users (cache shared across versions).
  BasicAuthVerifier& verifier() { return verifier_; }
  const std::string& path() const { return path_; }
  // Successful reloads after the first load.
  uint64_t reloads() const;

 private:
  explicit WebConfigWatcher(std::string path) : path_(std::move(path)) {}
  // The file's text plus the identity (inode, size, mtime) of each TLS file it names.
  std::string Fingerprint(const WebState* state) const;

  const std::string path_;
  BasicAuthVerifier verifier_;
  mutable Mutex mu_;
  std::shared_ptr<const WebState> current_ STRATA_GUARDED_BY(mu_);
  std::string fingerprint_ STRATA_GUARDED_BY(mu_);         // Of current_.
  std::string failed_fingerprint_ STRATA_GUARDED_BY(mu_);  // Last rejected one, logged once.
  uint64_t reloads_ STRATA_GUARDED_BY(mu_) = 0;
  Mutex poll_mu_;  // One Poll() at a time.

  std::mutex stop_mu_;
  std::condition_variable_any stop_cv_;
  std::jthread thread_;
};

}  // namespace strata::server
