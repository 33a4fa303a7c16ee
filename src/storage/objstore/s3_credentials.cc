#include "storage/objstore/s3_credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace strata::storage::objstore {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): no setenv at run time.
  return v ? v : "";
}

}  // namespace

Result<SigV4Credentials> ParseCredentialsFile(std::string_view content, std::string_view profile,
                                              std::string_view source) {
  SigV4Credentials c;
  bool in_profile = false;
  bool seen_profile = false;
  size_t pos = 0;
  while (pos <= content.size()) {
    size_t nl = content.find('\n', pos);
    std::string_view line =
        Trim(content.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? content.size() + 1 : nl + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') continue;
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.starts_with("profile ")) name = Trim(name.substr(8));  // config-file spelling
      in_profile = name == profile;
      seen_profile |= in_profile;
      continue;
    }
    if (!in_profile) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, eq));
    std::string value(Trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") {
      c.access_key_id = value;
    } else if (key == "aws_secret_access_key") {
      c.secret_access_key = value;
    } else if (key == "aws_session_token") {
      c.session_token = value;
    }
  }
  if (!seen_profile) {
    return Status::NotFound("no [" + std::string(profile) + "] profile in " + std::string(source));
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Status::NotFound("profile [" + std::string(profile) + "] in " + std::string(source) +
                            " lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

Result<SigV4Credentials> LoadS3Credentials(const S3Options& options) {
  if (!options.access_key_id.empty()) {
    return SigV4Credentials{options.access_key_id, options.secret_access_key,
                            options.session_token};
  }
  std::string id = Env("AWS_ACCESS_KEY_ID");
  std::string secret = Env("AWS_SECRET_ACCESS_KEY");
  if (!id.empty() && !secret.empty()) {
    return SigV4Credentials{id, secret, Env("AWS_SESSION_TOKEN")};
  }
  std::string file = options.credentials_file;
  if (file.empty()) file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty() && !Env("HOME").empty()) file = Env("HOME") + "/.aws/credentials";
  std::string why = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set";
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string profile = options.profile;
      if (profile.empty()) profile = Env("AWS_PROFILE");
      if (profile.empty()) profile = "default";
      Result<SigV4Credentials> c = ParseCredentialsFile(ss.str(), profile, file);
      if (c.ok()) return c;
      why += ", and " + c.status().message();
    } else {
      why += ", and there is no readable credentials file " + file;
    }
  }
  return Status::Unavailable("no S3 credentials: " + why);
}

}  // namespace strata::storage::objstore
