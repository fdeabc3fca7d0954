#include "common/status_mapping.h"

#include <gtest/gtest.h>

namespace mamori::common {
namespace {

TEST(StatusMappingTest, ExitCodesFollowDesign) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::AlreadyExistsError("x")), 2);
  // Denials are values (exit 3 set by the caller); a refused credential or
  // permission is bad input.
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::DataLossError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 1);
}

TEST(StatusMappingTest, HttpStatusesAndCodes) {
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpStatusFor(absl::PermissionDeniedError("x")), 403);
  EXPECT_EQ(HttpStatusFor(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(absl::InternalError("x")), 500);
  EXPECT_EQ(ErrorCodeFor(absl::UnauthenticatedError("x")), "unauthenticated");
  EXPECT_EQ(ErrorCodeFor(absl::PermissionDeniedError("x")), "denied");
  EXPECT_EQ(ErrorCodeFor(absl::DataLossError("x")), "integrity_failure");
}

}  // namespace
}  // namespace mamori::common
