// Result<T>: either a value of T or a non-OK Status (cf. absl::StatusOr).
// Accessing the value of an error Result aborts: that is a bug, not bad input.
// Thread-compatible.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "base/check.h"
#include "base/status.h"

namespace strata {

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "Result<Status> is meaningless");

 public:
  // REQUIRES: !status.ok(). An OK status without a value is turned into an Internal error.
  Result(Status status)  // NOLINT(google-explicit-constructor): implicit by design.
      : v_(status.ok() ? Status::Internal("Result constructed from an OK Status")
                       : std::move(status)) {}
  Result(const T& value) : v_(value) {}        // NOLINT(google-explicit-constructor)
  Result(T&& value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }

  // The error, or OK when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(v_); }

  const T& value() const& {
    STRATA_CHECK(ok()) << "Result::value() on error: " << std::get<1>(v_).ToString();
    return std::get<0>(v_);
  }
  T& value() & {
    STRATA_CHECK(ok()) << "Result::value() on error: " << std::get<1>(v_).ToString();
    return std::get<0>(v_);
  }
  T&& value() && {
    STRATA_CHECK(ok()) << "Result::value() on error: " << std::get<1>(v_).ToString();
    return std::get<0>(std::move(v_));
  }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace strata

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into `lhs`
// (which may be a declaration: STRATA_ASSIGN_OR_RETURN(auto x, F());).
#define STRATA_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_STATUS_CONCAT_(strata_result_, __LINE__), lhs, rexpr)

#define STRATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
