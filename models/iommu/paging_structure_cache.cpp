#include "iommu/paging_structure_cache.h"

namespace iommusim {

PscParams::PscParams(const CacheParams& every_level) : latency_cycles(every_level.latency_cycles) {
  for (unsigned l = kPscMinLevel; l <= kPscMaxLevel; ++l) level[l] = every_level;
}

PagingStructureCache::PagingStructureCache(const PscParams& p, std::uint64_t seed) : p_(p) {
  for (unsigned l = kMinLevel; l <= kMaxLevel; ++l)
    caches_[l] = std::make_unique<Cache>(p_.level[l].entries, p_.level[l].ways, p_.level[l].policy, seed + l,
                                         [](const PscKey& k) { return static_cast<std::size_t>(k.region); });
}

bool PagingStructureCache::lookup(std::uint16_t did, Addr iova, unsigned top_level, PscHit& hit,
                                  std::uint32_t pasid) {
  for (unsigned l = kMinLevel; l <= top_level && l <= kMaxLevel; ++l) {
    Tick ready = 0;
    if (const PscEntry* e = caches_[l]->lookup({did, pasid, iova >> region_shift(l)}, &ready)) {
      hit = {l, *e, ready};
      ++hits_[l];
      return true;
    }
  }
  ++misses_;
  return false;
}

void PagingStructureCache::insert(std::uint16_t did, Addr iova, unsigned level, const PscEntry& e, Tick ready,
                                  std::uint32_t pasid) {
  caches_[level]->insert({did, pasid, iova >> region_shift(level)}, e, ready);
}

template <class Pred>
std::size_t PagingStructureCache::invalidate(Pred pred, std::size_t* examined) {
  std::size_t removed = 0, looked = 0;
  for (unsigned l = kMinLevel; l <= kMaxLevel; ++l) {
    std::size_t n = 0;
    removed += caches_[l]->invalidate_if([&](const PscKey& k, const PscEntry& e) { return pred(l, k, e); }, &n);
    looked += n;
  }
  if (examined) *examined = looked;
  return removed;
}

std::size_t PagingStructureCache::invalidate_global(std::size_t* examined) {
  return invalidate([](unsigned, const PscKey&, const PscEntry&) { return true; }, examined);
}

std::size_t PagingStructureCache::invalidate_domain(std::uint16_t did, std::size_t* examined) {
  return invalidate([did](unsigned, const PscKey& k, const PscEntry&) { return k.did == did; }, examined);
}

std::size_t PagingStructureCache::invalidate_pasid(std::uint16_t did, std::uint32_t pasid, std::size_t* examined) {
  return invalidate([=](unsigned, const PscKey& k, const PscEntry&) { return k.did == did && k.pasid == pasid; },
                    examined);
}

std::size_t PagingStructureCache::invalidate_pages(std::uint16_t did, Addr addr, unsigned am,
                                                   std::size_t* examined) {
  const unsigned range_shift = 12 + am;
  const Addr first = range_shift >= 64 ? 0 : (addr >> range_shift) << range_shift;
  const Addr last = range_shift >= 64 ? ~Addr(0) : first + ((Addr(1) << range_shift) - 1);
  return invalidate(
      [&](unsigned level, const PscKey& k, const PscEntry&) {
        if (k.did != did) return false;
        const unsigned s = region_shift(level);
        const Addr base = s >= 64 ? 0 : k.region << s;
        const Addr end = s >= 64 ? ~Addr(0) : base + ((Addr(1) << s) - 1);
        return base <= last && first <= end;
      },
      examined);
}

}  // namespace iommusim
