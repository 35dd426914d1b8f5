// Transfer-size distributions for the synthetic workloads: fixed, IMIX (the
// "simple IMIX" of network test practice: 64, 576 and 1500-byte packets in the
// ratio 7:4:1), or a histogram of sizes with integer weights. Draws use the
// workload's seeded stream, so runs are deterministic.
//
// Config: `size: 1500` | `size: imix` | `size: {histogram: ["64:7", "1500:1"]}`
// is read by the workload as `packet_size` / `io_size` (see workloads.h).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"

namespace iommusim {

class SizeDistribution {
 public:
  static SizeDistribution fixed(std::uint64_t size) { return SizeDistribution({{size, 1}}); }
  static SizeDistribution imix() { return SizeDistribution({{64, 7}, {576, 4}, {1500, 1}}); }
  // (size, weight) pairs; sizes >= 1, weights >= 1.
  explicit SizeDistribution(std::vector<std::pair<std::uint64_t, std::uint64_t>> bins);

  // Reads key `key` of `n`: an integer, the word "imix", or a map
  // {histogram: [[size, weight], ...]}; `def` when absent.
  static SizeDistribution from_config(ConfigNode& n, const std::string& key, std::uint64_t def, std::uint64_t max);

  // A size for the uniform random value `r` (any 64-bit value).
  std::uint64_t draw(std::uint64_t r) const;
  std::uint64_t max() const;
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& bins() const { return bins_; }

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> bins_;
  std::uint64_t total_ = 0;
};

}  // namespace iommusim
