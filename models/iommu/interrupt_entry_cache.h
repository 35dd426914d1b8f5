// Interrupt entry cache (VT-d 6.2.3 / 6.5.2.6): caches interrupt remapping
// table entries by interrupt index, so that an interrupt whose IRTE is cached
// needs no table read. Entries are kept as read (the raw 128 bits); the unit
// decodes them on use, so the decoder stays in one place (irte.h).
//
// Only entries that can be used are cached: present and without reserved bits
// set (an entry that faulted with 0x22 or 0x24 is read again next time, as
// for the other caches without caching mode).
//
// Invalidation (interrupt entry cache invalidate descriptor, 6.5.2.6):
// global, or index-selective: the 2^IM entries whose index equals IIDX with
// its low IM bits ignored (IM <= ECAP.MHMV, checked by the descriptor decoder).
#pragma once
#include <cstdint>

#include "common/cache_params.h"
#include "common/set_assoc_cache.h"

namespace iommusim {

struct IecEntry {
  std::uint64_t lo = 0, hi = 0;  // the IRTE's two qwords
};

class InterruptEntryCache {
 public:
  InterruptEntryCache(const CacheParams& p, std::uint64_t seed);

  const IecEntry* lookup(std::uint16_t index, Tick* ready);
  void insert(std::uint16_t index, const IecEntry& e, Tick ready);
  bool contains(std::uint16_t index) const { return cache_.contains(index); }

  std::size_t invalidate_global(std::size_t* examined = nullptr);
  std::size_t invalidate_index(std::uint16_t iidx, unsigned im, std::size_t* examined = nullptr);

  std::uint64_t hits() const { return cache_.hits(); }
  std::uint64_t misses() const { return cache_.misses(); }
  std::size_t size() const { return cache_.size(); }
  const CacheParams& params() const { return p_; }

 private:
  CacheParams p_;
  SetAssocCache<std::uint16_t, IecEntry> cache_;
};

}  // namespace iommusim
