// Status propagation helpers used across mamori.
//
// Expected failures travel as absl::Status / absl::StatusOr<T>. These macros
// keep the early-return style short:
//
//   absl::StatusOr<Subject> LoadSubject(...) {
//     RETURN_IF_ERROR(CheckSomething());
//     ASSIGN_OR_RETURN(auto row, store.ReadSubject(id));
//     return row;
//   }
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MAMORI_STATUS_CONCAT_INNER(a, b) a##b
#define MAMORI_STATUS_CONCAT(a, b) MAMORI_STATUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                                         \
  do {                                                                \
    if (absl::Status mamori_status_ = (expr); !mamori_status_.ok()) { \
      return mamori_status_;                                          \
    }                                                                 \
  } while (false)

#define MAMORI_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  MAMORI_ASSIGN_OR_RETURN_IMPL(MAMORI_STATUS_CONCAT(mamori_statusor_, __LINE__), lhs, rexpr)
