// The master key file: the root of the key hierarchy (DESIGN.md, "Keys").
//
// It never sits in the data directory; `init` writes it beside it (default
// `DIR.master.key`) with mode 0600, and every command reads it the same way.
// A file that others can read is refused, so a misconfigured deployment
// fails loudly instead of leaking the root key.
//
// File format (text): the line `mamori-master-key v1`, then the 32 key bytes
// in standard base64 on one line.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "crypto/secret_key.h"

namespace mamori::crypto {

// Creates a new random master key at `path` (mode 0600, O_EXCL: refuses to
// overwrite an existing file) and returns it.
absl::StatusOr<SecretKey> CreateMasterKeyFile(const std::string& path,
                                              common::RandomSource& random);

// Reads the master key at `path`. FailedPrecondition when the file is
// readable or writable by group or others; InvalidArgument when malformed.
absl::StatusOr<SecretKey> ReadMasterKeyFile(const std::string& path);

}  // namespace mamori::crypto
