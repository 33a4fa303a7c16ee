#include "base/curl_lib.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace strata {
namespace {

constexpr const char* kLibrary = "libcurl.so.4";

// Sets *fn to the symbol's address; false if it is missing.
template <typename Fn>
bool Bind(void* handle, const char* name, Fn* fn) {
  void* sym = dlsym(handle, name);
  if (sym == nullptr) return false;
  *fn = reinterpret_cast<Fn>(sym);
  return true;
}

}  // namespace

Result<const CurlLib*> LoadCurl() {
  static std::once_flag once;
  static CurlLib lib;
  static std::string error;  // Empty once loaded.
  std::call_once(once, [] {
    void* h = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* why = dlerror();
      error = std::string("cannot load ") + kLibrary +
              " (Debian package libcurl4): " + (why != nullptr ? why : "unknown error");
      return;
    }
    CURLcode (*global_init)(long) = nullptr;
    const char* missing = nullptr;
    if (!Bind(h, "curl_global_init", &global_init)) missing = "curl_global_init";
    if (!Bind(h, "curl_easy_init", &lib.easy_init)) missing = "curl_easy_init";
    if (!Bind(h, "curl_easy_setopt", &lib.easy_setopt)) missing = "curl_easy_setopt";
    if (!Bind(h, "curl_easy_perform", &lib.easy_perform)) missing = "curl_easy_perform";
    if (!Bind(h, "curl_easy_getinfo", &lib.easy_getinfo)) missing = "curl_easy_getinfo";
    if (!Bind(h, "curl_easy_reset", &lib.easy_reset)) missing = "curl_easy_reset";
    if (!Bind(h, "curl_easy_cleanup", &lib.easy_cleanup)) missing = "curl_easy_cleanup";
    if (!Bind(h, "curl_easy_strerror", &lib.easy_strerror)) missing = "curl_easy_strerror";
    if (!Bind(h, "curl_slist_append", &lib.slist_append)) missing = "curl_slist_append";
    if (!Bind(h, "curl_slist_free_all", &lib.slist_free_all)) missing = "curl_slist_free_all";
    if (missing != nullptr) {
      error = std::string(kLibrary) + " has no " + missing;
      return;
    }
    // Before any other thread uses curl: we are inside call_once.
    const CURLcode rc = global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
      error = std::string("curl_global_init failed with code ") + std::to_string(rc);
    }
  });
  if (!error.empty()) return Status::FailedPrecondition(error);
  return &lib;
}

}  // namespace strata
