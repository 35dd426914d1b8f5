// Shared by the libFuzzer harnesses: an invariant check that aborts (so that
// libFuzzer records the input as a crash) whatever NDEBUG says.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(cond, ...)                                                        \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, "  " __VA_ARGS__);                                        \
      std::fprintf(stderr, "\n");                                                    \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

namespace iommusim_fuzz {

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Bytes taken from the front of the fuzzer's input, zero once it runs out.
class ByteSource {
 public:
  ByteSource(const unsigned char* data, size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  size_t left() const { return n_; }
  unsigned char u8() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  unsigned long long u64() {
    unsigned long long v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<unsigned long long>(u8()) << (8 * i);
    return v;
  }
  unsigned u32() { return static_cast<unsigned>(u64() & 0xffffffffu); }
  bool flag() { return u8() & 1; }

 private:
  const unsigned char* p_;
  size_t n_;
};

}  // namespace iommusim_fuzz
