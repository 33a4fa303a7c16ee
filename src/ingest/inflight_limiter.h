// InflightLimiter: admits work while the bytes being processed stay within a budget, so that
// overload turns into a retryable refusal instead of unbounded memory. A request is always
// admitted when nothing else is in flight, so one large request cannot be refused forever.
// Thread-safe (a CAS loop; refused requests never touch the count).
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <utility>

namespace strata::ingest {

class InflightLimiter {
 public:
  explicit InflightLimiter(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Holds admitted bytes until destroyed. Movable, not copyable.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept
        : limiter_(std::exchange(other.limiter_, nullptr)), bytes_(other.bytes_) {}
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() {
      if (limiter_ != nullptr) limiter_->inflight_.fetch_sub(bytes_, std::memory_order_acq_rel);
    }

   private:
    friend class InflightLimiter;
    Ticket(InflightLimiter* limiter, size_t bytes) : limiter_(limiter), bytes_(bytes) {}
    InflightLimiter* limiter_;
    size_t bytes_;
  };

  // A ticket for `bytes`, or nullopt when admitting them would pass the budget while other
  // work is in flight.
  std::optional<Ticket> TryAcquire(size_t bytes) {
    size_t cur = inflight_.load(std::memory_order_acquire);
    do {
      if (cur > 0 && cur + bytes > max_bytes_) return std::nullopt;
    } while (!inflight_.compare_exchange_weak(cur, cur + bytes, std::memory_order_acq_rel));
    return Ticket(this, bytes);
  }

  size_t inflight_bytes() const { return inflight_.load(std::memory_order_relaxed); }
  size_t max_bytes() const { return max_bytes_; }

 private:
  const size_t max_bytes_;
  std::atomic<size_t> inflight_{0};
};

}  // namespace strata::ingest
