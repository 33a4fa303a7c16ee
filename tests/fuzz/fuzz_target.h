// The entry point of a fuzz target: each tests/fuzz/<target>_fuzz.cc defines one function over
// the input bytes and names it with STRATA_FUZZ_TARGET. In fuzz builds (STRATA_FUZZ_MAIN, Clang,
// linked with -fsanitize=fuzzer) that becomes LLVMFuzzerTestOneInput; in the test build it is
// registered for fuzz_corpus_test.cc, which replays the checked-in corpora through it.
// A target reports a violated property (a decoder's answer that is wrong, not merely an error)
// with FuzzFail, which aborts: libFuzzer keeps the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace strata::fuzz {

using FuzzFn = void (*)(std::span<const uint8_t> data);

// Target name -> entry function (test builds only register here).
inline std::map<std::string, FuzzFn>& Registry() {
  static std::map<std::string, FuzzFn> registry;
  return registry;
}

struct Registration {
  Registration(const char* name, FuzzFn fn) { Registry()[name] = fn; }
};

[[noreturn]] inline void FuzzFail(const std::string& message) {
  std::fprintf(stderr, "fuzz property violated: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

// Takes bytes off the front of a fuzz input: selector bytes first, then the rest as the payload.
class InputReader {
 public:
  explicit InputReader(std::span<const uint8_t> data) : data_(data) {}
  // The next byte, or 0 when the input is exhausted.
  uint8_t Byte() {
    if (data_.empty()) return 0;
    uint8_t b = data_[0];
    data_ = data_.subspan(1);
    return b;
  }
  // Up to `n` bytes as text.
  std::string_view Take(size_t n) {
    n = n < data_.size() ? n : data_.size();
    std::string_view s(reinterpret_cast<const char*>(data_.data()), n);
    data_ = data_.subspan(n);
    return s;
  }
  std::string_view Rest() { return Take(data_.size()); }
  size_t remaining() const { return data_.size(); }

 private:
  std::span<const uint8_t> data_;
};

inline std::string_view AsText(std::span<const uint8_t> data) {
  return std::string_view(reinterpret_cast<const char*>(data.data()), data.size());
}

}  // namespace strata::fuzz

#ifdef STRATA_FUZZ_MAIN
#define STRATA_FUZZ_TARGET(name, fn)                                        \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    fn(std::span<const uint8_t>(data, size));                               \
    return 0;                                                               \
  }
#else
#define STRATA_FUZZ_TARGET(name, fn) \
  static const ::strata::fuzz::Registration fuzz_registration_##name(#name, fn);
#endif
