#include "crypto/master_key.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/strip.h"

namespace mamori::crypto {
namespace {
constexpr std::string_view kHeader = "mamori-master-key v1";
}  // namespace

absl::StatusOr<SecretKey> CreateMasterKeyFile(const std::string& path,
                                              common::RandomSource& random) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          fmt::format("master key file {} already exists; refusing to overwrite it", path));
    }
    return absl::FailedPreconditionError(
        fmt::format("cannot create master key file {}: {}", path, std::strerror(errno)));
  }
  SecretKey key = SecretKey::Generate(random);
  std::string encoded = absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(key.data()), SecretKey::kSize));
  std::string contents = fmt::format("{}\n{}\n", kHeader, encoded);
  bool ok =
      ::fchmod(fd, 0600) == 0 &&
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
      ::fsync(fd) == 0;
  int saved_errno = errno;
  ::close(fd);
  Wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(contents.data()), contents.size()));
  Wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(encoded.data()), encoded.size()));
  if (!ok) {
    ::unlink(path.c_str());
    return absl::InternalError(
        fmt::format("cannot write master key file {}: {}", path, std::strerror(saved_errno)));
  }
  return key;
}

absl::StatusOr<SecretKey> ReadMasterKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(fmt::format(
        "master key file {} not found (give --master-key FILE or set MAMORI_MASTER_KEY)", path));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(fmt::format(
        "master key file {0} is accessible by group or others; run: chmod 600 {0}", path));
  }
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string contents = buffer.str();
  absl::string_view rest(contents);
  std::string decoded;
  bool ok = absl::ConsumePrefix(&rest, absl::string_view(kHeader.data(), kHeader.size())) &&
            absl::ConsumePrefix(&rest, "\n") &&
            absl::Base64Unescape(absl::StripAsciiWhitespace(rest), &decoded) &&
            decoded.size() == SecretKey::kSize;
  SecretKey key;
  if (ok) {
    key = SecretKey::FromBytes(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(decoded.data()), decoded.size()));
  }
  Wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(contents.data()), contents.size()));
  Wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(decoded.data()), decoded.size()));
  if (!ok) {
    return absl::InvalidArgumentError(
        fmt::format("master key file {} is not a mamori master key", path));
  }
  return key;
}

}  // namespace mamori::crypto
