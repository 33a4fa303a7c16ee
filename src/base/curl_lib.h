// CurlLib: libcurl's easy interface, loaded with dlopen() on first use.
//
// Only the S3 object store and the Alertmanager notifier speak HTTP as a client, and a server
// uses neither by default. Linking libcurl would map it and its ~25 dependencies (GnuTLS,
// Kerberos, LDAP, SSH, RTMP, ...) into every process at start; loading it when first needed
// keeps start-up and RSS free of them. Debian's libcurl4 package provides libcurl.so.4.
// Thread-safe.
#pragma once

#include <curl/curl.h>

#include "base/result.h"

namespace strata {

struct CurlLib {
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_reset)(CURL*);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

// Loads libcurl.so.4 and runs curl_global_init once per process; later calls return the same
// table. FailedPrecondition naming the library and the loader's reason when it cannot be
// loaded (then every later call fails the same way).
Result<const CurlLib*> LoadCurl();

}  // namespace strata
