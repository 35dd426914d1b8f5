// Size, organisation and lookup latency of one cache, as a configuration gives
// them (`{entries, ways, policy, latency_cycles}`); shared by the IOTLB, the
// context cache, the paging-structure caches and later the device TLBs.
#pragma once
#include <cstddef>
#include <string>

#include "common/config.h"
#include "common/replacement.h"

namespace iommusim {

struct CacheParams {
  std::size_t entries = 64;
  std::size_t ways = 0;  // 0: fully associative
  ReplacementPolicy policy = ReplacementPolicy::Lru;
  unsigned latency_cycles = 1;

  // Reads the keys of `n`, defaulting to `def`; checks ways against entries and
  // the policy (tree-PLRU needs power-of-two ways).
  static CacheParams from_config(ConfigNode n, const CacheParams& def);
};

}  // namespace iommusim
