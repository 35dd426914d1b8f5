#include "iommu/context_cache.h"

namespace iommusim {

ContextCache::ContextCache(const CacheParams& p, std::uint64_t seed)
    : p_(p), cache_(p.entries, p.ways, p.policy, seed, [](std::uint16_t sid) { return std::size_t(sid); }) {}

const ContextEntry* ContextCache::lookup(std::uint16_t sid, Tick* ready) { return cache_.lookup(sid, ready); }

void ContextCache::insert(std::uint16_t sid, const ContextEntry& ce, Tick ready) { cache_.insert(sid, ce, ready); }

std::size_t ContextCache::invalidate_global(std::size_t* examined) {
  return cache_.invalidate_if([](std::uint16_t, const ContextEntry&) { return true; }, examined);
}

std::size_t ContextCache::invalidate_domain(std::uint16_t did, std::size_t* examined) {
  return cache_.invalidate_if([did](std::uint16_t, const ContextEntry& ce) { return ce.did == did; }, examined);
}

std::size_t ContextCache::invalidate_device(std::uint16_t sid, unsigned fm, std::size_t* examined) {
  // FM masks function-number bits of the SID (VT-d 11.4.7.1 CCMD): 01 bit 2,
  // 10 bits 2:1, 11 bits 2:0. The entries of a source ID go whatever their
  // DID (as QEMU's model does): software names the device it changed.
  const std::uint16_t ignored = static_cast<std::uint16_t>((0x7u << (3 - (fm & 3))) & 0x7u);
  const std::uint16_t mask = static_cast<std::uint16_t>(~ignored);
  return cache_.invalidate_if([=](std::uint16_t s, const ContextEntry&) { return (s & mask) == (sid & mask); },
                              examined);
}

}  // namespace iommusim
