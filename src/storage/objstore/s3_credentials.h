// Where S3 credentials come from: explicit options, else the AWS_* environment variables, else
// an AWS shared-credentials file. Stateless; thread-safe as long as nobody calls setenv
// concurrently. Private to storage.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/object_store.h"
#include "storage/objstore/sigv4.h"

namespace strata::storage::objstore {

// The `profile` section of a shared-credentials file (INI: [profile] then key = value lines;
// '#' and ';' start comments): aws_access_key_id, aws_secret_access_key and the optional
// aws_session_token. NotFound when the profile or its keys are missing; `source` names the
// file in messages.
Result<SigV4Credentials> ParseCredentialsFile(std::string_view content, std::string_view profile,
                                              std::string_view source);

// Explicit options.access_key_id/secret_access_key/session_token when set; else
// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else the file
// options.credentials_file, $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile
// options.profile, else $AWS_PROFILE, else "default". Unavailable, saying where it looked, when
// none has credentials.
Result<SigV4Credentials> LoadS3Credentials(const S3Options& options);

}  // namespace strata::storage::objstore
