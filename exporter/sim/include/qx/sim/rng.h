// Deterministic hashing and a small PRNG. Every simulated record is a pure
// function of (seed, index, epoch, salt), so pages can be generated on demand
// without storing the dataset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace qx::sim {

// splitmix64 finalizer: a bijective 64-bit mixer.
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Order-sensitive hash of a few integers.
constexpr std::uint64_t Hash(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = 0x51a3c0ffee5eedULL;
  for (std::uint64_t p : parts) h = Mix64(h ^ Mix64(p));
  return h;
}

class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) : state_(seed) {}
  Rng(std::initializer_list<std::uint64_t> parts) : state_(Hash(parts)) {}

  constexpr std::uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n == 0 yields 0.
  constexpr std::uint64_t Below(std::uint64_t n) {
    return n == 0 ? 0 : Next() % n;
  }
  std::size_t Index(std::size_t n) {
    return static_cast<std::size_t>(Below(static_cast<std::uint64_t>(n)));
  }
  // Uniform in [lo, hi].
  constexpr std::int64_t Range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(
                    Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  // True with probability percent/100.
  constexpr bool Percent(std::uint64_t percent) { return Below(100) < percent; }
  // Index drawn with the given integer weights.
  std::size_t Weighted(std::span<const int> weights) {
    std::uint64_t total = 0;
    for (int w : weights) total += static_cast<std::uint64_t>(w > 0 ? w : 0);
    std::uint64_t r = Below(total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const auto w =
          static_cast<std::uint64_t>(weights[i] > 0 ? weights[i] : 0);
      if (r < w) return i;
      r -= w;
    }
    return weights.empty() ? 0 : weights.size() - 1;
  }
  std::size_t Weighted(std::initializer_list<int> weights) {
    return Weighted(std::span<const int>(weights.begin(), weights.size()));
  }

 private:
  std::uint64_t state_;
};

}  // namespace qx::sim
