// Context cache (VT-d 6.2.1): caches context entries by source ID (bus and
// devfn), so that a hit skips the root- and context-table reads. Invalidation
// (VT-d 6.5.1.1, CCMD; 6.5.2.1 queued): global, domain-selective (entries whose
// DID matches) and device-selective (source ID under the function mask FM:
// 00 no mask, 01 ignore function bit 2, 10 bits 2:1, 11 bits 2:0).
#pragma once
#include <cstdint>

#include "common/cache_params.h"
#include "common/set_assoc_cache.h"
#include "vtd/context_entry.h"

namespace iommusim {

class ContextCache {
 public:
  ContextCache(const CacheParams& p, std::uint64_t seed);

  const ContextEntry* lookup(std::uint16_t sid, Tick* ready);
  void insert(std::uint16_t sid, const ContextEntry& ce, Tick ready);

  std::size_t invalidate_global(std::size_t* examined = nullptr);
  std::size_t invalidate_domain(std::uint16_t did, std::size_t* examined = nullptr);
  std::size_t invalidate_device(std::uint16_t sid, unsigned fm, std::size_t* examined = nullptr);

  std::uint64_t hits() const { return cache_.hits(); }
  std::uint64_t misses() const { return cache_.misses(); }
  std::size_t size() const { return cache_.size(); }
  const CacheParams& params() const { return p_; }

 private:
  CacheParams p_;
  SetAssocCache<std::uint16_t, ContextEntry> cache_;
};

}  // namespace iommusim
