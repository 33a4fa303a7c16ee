#include "server/http_types.h"

#include "server/json_writer.h"

namespace strata::server {

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

void SetJsonError(HttpResponse* res, int http_status, std::string_view error_type,
                  std::string_view message) {
  res->status = http_status;
  res->content_type = "application/json";
  res->body.clear();
  JsonWriter w(&res->body);
  w.BeginObject()
      .Key("status")
      .String("error")
      .Key("errorType")
      .String(error_type)
      .Key("error")
      .String(message)
      .EndObject();
}

}  // namespace strata::server
