// Helpers shared by the RTL tests: a deterministic vector generator, hex formatting and a
// mismatch collector for failure messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace einfuse::rtl_test {

// splitmix64: deterministic, fast, good enough for test vectors.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(next() >> 32); }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) % n); }
  bool coin() { return (next() >> 63) != 0; }
  float uniform(float lo, float hi) {  // not exact-uniform; only spreads vectors over [lo, hi)
    return lo + (hi - lo) * static_cast<float>(next() >> 40) * 0x1p-24f;
  }
};

inline std::string hex32(std::uint32_t x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(x));
  return buf;
}

// Collects mismatches: a count and the first few, for the failure message.
struct Mismatches {
  std::uint64_t count = 0;
  std::vector<std::string> first;
  void add(const std::string& what) {
    if (count++ < 8) first.push_back(what);
  }
  std::string report() const {
    std::string s = std::to_string(count) + " mismatches";
    for (const auto& f : first) s += "\n  " + f;
    return s;
  }
};

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace einfuse::rtl_test
