#include "iommu/interrupt_entry_cache.h"

namespace iommusim {

InterruptEntryCache::InterruptEntryCache(const CacheParams& p, std::uint64_t seed)
    : p_(p), cache_(p.entries, p.ways, p.policy, seed, [](std::uint16_t index) { return std::size_t(index); }) {}

const IecEntry* InterruptEntryCache::lookup(std::uint16_t index, Tick* ready) { return cache_.lookup(index, ready); }

void InterruptEntryCache::insert(std::uint16_t index, const IecEntry& e, Tick ready) { cache_.insert(index, e, ready); }

std::size_t InterruptEntryCache::invalidate_global(std::size_t* examined) {
  return cache_.invalidate_if([](std::uint16_t, const IecEntry&) { return true; }, examined);
}

std::size_t InterruptEntryCache::invalidate_index(std::uint16_t iidx, unsigned im, std::size_t* examined) {
  const std::uint32_t mask = ~((std::uint32_t{1} << (im & 31)) - 1);
  return cache_.invalidate_if(
      [=](std::uint16_t index, const IecEntry&) { return (index & mask) == (iidx & mask); }, examined);
}

}  // namespace iommusim
