// Change detection compares the whole file text (it is small) and stat() identities of the TLS
// files, so that a certificate renewed in place is picked up like exporter-toolkit, which
// re-reads its files on every handshake.
#include "server/web_config_watcher.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/log.h"

namespace strata::server {
namespace {

std::string FileIdentity(const std::string& path) {
  if (path.empty()) return "-";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_ino) + "/" + std::to_string(st.st_size) + "/" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return in ? ss.str() : std::string("\x01unreadable");
}

}  // namespace

Result<std::shared_ptr<const WebState>> LoadWebState(const std::string& path) {
  auto state = std::make_shared<WebState>();
  STRATA_ASSIGN_OR_RETURN(state->config, LoadWebConfig(path));
  if (state->config.tls.enabled()) {
    auto material = ReadTlsMaterial(state->config.tls);
    if (!material.ok()) return material.status().WithContext(path);
    state->tls_material = std::move(material).value();
    auto ssl = MakeServerSslContext(state->config.tls, state->tls_material);
    if (!ssl.ok()) return ssl.status().WithContext(path);
    state->ssl = std::move(ssl).value();
  }
  return std::shared_ptr<const WebState>(std::move(state));
}

Result<std::unique_ptr<WebConfigWatcher>> WebConfigWatcher::Open(std::string path) {
  std::unique_ptr<WebConfigWatcher> w(new WebConfigWatcher(std::move(path)));
  // The fingerprint is taken before loading: a change in between is seen by the next poll.
  std::string fingerprint = w->Fingerprint(nullptr);
  STRATA_ASSIGN_OR_RETURN(auto state, LoadWebState(w->path_));
  fingerprint = w->Fingerprint(state.get());
  MutexLock lock(&w->mu_);
  w->current_ = std::move(state);
  w->fingerprint_ = std::move(fingerprint);
  return w;
}

WebConfigWatcher::~WebConfigWatcher() { Stop(); }

std::shared_ptr<const WebState> WebConfigWatcher::Current() const {
  MutexLock lock(&mu_);
  return current_;
}

uint64_t WebConfigWatcher::reloads() const {
  MutexLock lock(&mu_);
  return reloads_;
}

std::string WebConfigWatcher::Fingerprint(const WebState* state) const {
  std::string f = ReadAll(path_);
  if (state != nullptr) {
    const TlsServerConfig& t = state->config.tls;
    for (const std::string* p : {&t.cert_file, &t.key_file, &t.client_ca_file}) {
      f += '\0';
      f += FileIdentity(*p);
    }
  }
  return f;
}

Status WebConfigWatcher::Poll() {
  MutexLock poll_lock(&poll_mu_);
  std::shared_ptr<const WebState> old = Current();
  const std::string before = Fingerprint(old.get());
  {
    MutexLock lock(&mu_);
    if (before == fingerprint_) return Status::Ok();
  }
  auto loaded = LoadWebState(path_);
  Status s = loaded.ok() ? Status::Ok() : loaded.status();
  if (s.ok() && (*loaded)->config.tls.enabled() != old->config.tls.enabled()) {
    s = Status::FailedPrecondition(
        path_ + ": switching between TLS and plain HTTP needs a restart; keeping the old config");
  }
  const std::string after = s.ok() ? Fingerprint(loaded->get()) : std::string();
  MutexLock lock(&mu_);
  if (!s.ok()) {
    if (before != failed_fingerprint_) {
      failed_fingerprint_ = before;
      STRATA_LOG(kError, "web") << "invalid web config, keeping the previous one"
                                << LogKV("file", path_) << LogKV("error", s.ToString());
    }
    return s;
  }
  current_ = std::move(loaded).value();
  fingerprint_ = after;
  failed_fingerprint_.clear();
  ++reloads_;
  STRATA_LOG(kInfo, "web") << "web config reloaded" << LogKV("file", path_)
                           << LogKV("tls", current_->ssl ? "true" : "false")
                           << LogKV("users", current_->config.users.size());
  return s;
}

void WebConfigWatcher::Start(std::chrono::milliseconds interval) {
  thread_ = std::jthread([this, interval](const std::stop_token& stop) {
    pthread_setname_np(pthread_self(), "strata-webcfg");
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stop.stop_requested()) {
      stop_cv_.wait_for(lock, stop, interval, [] { return false; });
      if (stop.stop_requested()) break;
      lock.unlock();
      Poll().IgnoreError();  // Logged by Poll(); the old config stays.
      lock.lock();
    }
  });
}

void WebConfigWatcher::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace strata::server
