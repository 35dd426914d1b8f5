#include "common/cache_params.h"

#include <fmt/format.h>

namespace iommusim {

CacheParams CacheParams::from_config(ConfigNode n, const CacheParams& def) {
  CacheParams p;
  p.entries = n.u64("entries", def.entries, 1, 1u << 24);
  p.ways = n.u64("ways", def.ways, 0, p.entries);
  if (p.ways != 0 && p.entries % p.ways != 0)
    n.fail("ways", fmt::format("expected a divisor of entries ({}), got {}", p.entries, p.ways));
  p.policy = *parse_replacement(n.choice("policy", replacement_name(def.policy), {"lru", "plru", "fifo", "random"}));
  const std::size_t w = p.ways == 0 ? p.entries : p.ways;
  if (p.policy == ReplacementPolicy::TreePlru && (w & (w - 1)) != 0)
    n.fail("policy", fmt::format("plru needs a power-of-two number of ways, got {}", w));
  p.latency_cycles = static_cast<unsigned>(n.u64("latency_cycles", def.latency_cycles, 0, 10000));
  return p;
}

}  // namespace iommusim
