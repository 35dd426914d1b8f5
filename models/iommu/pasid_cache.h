// Scalable-mode context and PASID-entry cache (VT-d 6.2.2, PASID cache): the
// PASID-table entry that a request resolved to, keyed by source ID and the
// request's PASID (or "without PASID", which resolves through RID_PASID), so
// that a hit skips the scalable root, context, PASID-directory and
// PASID-table reads in one lookup.
//
// Invalidation: the PASID-granular descriptors come with queued invalidation;
// until then the register-based context-cache commands (CCMD) also cover this
// cache: global, domain-selective (entries whose PASID entry has that DID) and
// device-selective (by source ID under the function mask).
#pragma once
#include <cstdint>
#include <functional>

#include "common/cache_params.h"
#include "common/set_assoc_cache.h"
#include "vtd/pasid_entry.h"

namespace iommusim {

struct PasidCacheKey {
  std::uint16_t sid = 0;
  bool has_pasid = false;
  std::uint32_t pasid = 0;
  bool operator==(const PasidCacheKey& o) const {
    return sid == o.sid && has_pasid == o.has_pasid && (!has_pasid || pasid == o.pasid);
  }
};

struct PasidCacheKeyHash {
  std::size_t operator()(const PasidCacheKey& k) const {
    return std::hash<std::uint64_t>()((std::uint64_t(k.sid) << 21) ^ (k.has_pasid ? (k.pasid | (1u << 20)) : 0));
  }
};

struct PasidCacheEntry {
  PasidEntry pe;
  std::uint32_t pasid = 0;  // the PASID used (the request's or RID_PASID)
  bool fpd = false;         // FPD of the context, directory or PASID entry
};

class PasidCache {
 public:
  PasidCache(const CacheParams& p, std::uint64_t seed)
      : p_(p), cache_(p.entries, p.ways, p.policy, seed) {}

  const PasidCacheEntry* lookup(const PasidCacheKey& k, Tick* ready) { return cache_.lookup(k, ready); }
  void insert(const PasidCacheKey& k, const PasidCacheEntry& e, Tick ready) { cache_.insert(k, e, ready); }

  std::size_t invalidate_global() {
    return cache_.invalidate_if([](const PasidCacheKey&, const PasidCacheEntry&) { return true; });
  }
  std::size_t invalidate_domain(std::uint16_t did) {
    return cache_.invalidate_if([did](const PasidCacheKey&, const PasidCacheEntry& e) { return e.pe.did == did; });
  }
  // PASID-selective within a domain (VT-d 6.5.2.3).
  std::size_t invalidate_pasid(std::uint16_t did, std::uint32_t pasid) {
    return cache_.invalidate_if(
        [=](const PasidCacheKey&, const PasidCacheEntry& e) { return e.pe.did == did && e.pasid == pasid; });
  }
  // FM as in ContextCache::invalidate_device.
  std::size_t invalidate_device(std::uint16_t sid, unsigned fm) {
    const std::uint16_t mask = static_cast<std::uint16_t>(~((0x7u << (3 - (fm & 3))) & 0x7u));
    return cache_.invalidate_if(
        [=](const PasidCacheKey& k, const PasidCacheEntry&) { return (k.sid & mask) == (sid & mask); });
  }

  std::uint64_t hits() const { return cache_.hits(); }
  std::uint64_t misses() const { return cache_.misses(); }
  std::size_t size() const { return cache_.size(); }
  const CacheParams& params() const { return p_; }

 private:
  CacheParams p_;
  SetAssocCache<PasidCacheKey, PasidCacheEntry, PasidCacheKeyHash> cache_;
};

}  // namespace iommusim
