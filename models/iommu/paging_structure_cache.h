// Paging-structure caches (VT-d 6.2.4), second-level and (with a PASID tag)
// first-level: one cache per non-leaf level. The level-L cache (L = 2..5) holds, for a domain and the input-address
// region one level-L entry maps (2^(12 + 9 (L-1)) bytes), the address of the
// level L-1 table that entry points to, with the R/W permissions accumulated
// from the top down to it. A lookup returns the deepest hit, so the walk resumes
// there; the level-2 cache is the PDE cache of the literature.
//
// Invalidation: global and domain-selective remove every entry of the scope;
// page-selective (IH = 0) removes the domain's entries whose region overlaps
// the range, since a changed leaf may have changed its parent tables too
// (VT-d 6.5.1.2: IH = 1 keeps them).
//
// Each level has its own size, associativity and policy (PscParams; by
// default every level alike): real units size them differently, e.g. a large
// PDE cache and a few PML4E entries. One lookup latency covers all levels.
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "common/cache_params.h"
#include "common/set_assoc_cache.h"
#include "common/types.h"

namespace iommusim {

struct PscEntry {
  Addr table = 0;  // the next-lower-level table
  bool r = false, w = false;
  bool user = true, xd = false;  // first level: U/S and XD accumulated
};

// Second-level entries carry no PASID (kPscNoPasid); first-level entries are
// tagged with the PASID whose tables they come from.
inline constexpr std::uint32_t kPscNoPasid = 0xffffffffu;

struct PscKey {
  std::uint16_t did = 0;
  std::uint32_t pasid = kPscNoPasid;
  Addr region = 0;  // iova >> region_shift(level)
  bool operator==(const PscKey& o) const { return did == o.did && pasid == o.pasid && region == o.region; }
};

struct PscKeyHash {
  std::size_t operator()(const PscKey& k) const {
    return std::hash<std::uint64_t>()(k.region * 0x9e3779b97f4a7c15ull ^ k.did ^ (std::uint64_t(k.pasid) << 16));
  }
};

inline constexpr unsigned kPscMinLevel = 2, kPscMaxLevel = 5;

// The organisation of the four caches: entries, ways and policy per level
// (level[2] is the PDE cache, level[3] the PDPTE, level[4] the PML4E and
// level[5] the PML5E cache; VT-d 6.2.4), and one lookup latency for all.
struct PscParams {
  PscParams() = default;
  // Every level as `every_level` (its latency_cycles is the lookup latency).
  PscParams(const CacheParams& every_level);  // NOLINT: implicit, as before
  unsigned latency_cycles = 1;
  std::array<CacheParams, kPscMaxLevel + 1> level{};  // [2..5] used
};

struct PscHit {
  unsigned level;  // level of the cached entry: the walk resumes at level - 1
  PscEntry entry;
  Tick ready;
};

class PagingStructureCache {
 public:
  static constexpr unsigned kMinLevel = kPscMinLevel, kMaxLevel = kPscMaxLevel;
  static unsigned region_shift(unsigned level) { return 12 + 9 * (level - 1); }

  PagingStructureCache(const PscParams& p, std::uint64_t seed);
  PagingStructureCache(const CacheParams& every_level, std::uint64_t seed)
      : PagingStructureCache(PscParams(every_level), seed) {}

  // Deepest hit among levels 2..top_level (top_level = the walk's top level).
  bool lookup(std::uint16_t did, Addr iova, unsigned top_level, PscHit& hit, std::uint32_t pasid = kPscNoPasid);
  void insert(std::uint16_t did, Addr iova, unsigned level, const PscEntry& e, Tick ready,
              std::uint32_t pasid = kPscNoPasid);

  std::size_t invalidate_global(std::size_t* examined = nullptr);
  std::size_t invalidate_domain(std::uint16_t did, std::size_t* examined = nullptr);
  std::size_t invalidate_pages(std::uint16_t did, Addr addr, unsigned am, std::size_t* examined = nullptr);
  // The entries of one PASID of a domain (first-level caches).
  std::size_t invalidate_pasid(std::uint16_t did, std::uint32_t pasid, std::size_t* examined = nullptr);

  std::uint64_t hits(unsigned level) const { return hits_[level]; }
  std::uint64_t misses() const { return misses_; }  // lookups that hit no level
  // Lookups that probed `level` and missed it (a lookup probes from level 2
  // upwards and stops at its first hit), and valid entries of `level` evicted
  // by fills.
  std::uint64_t misses(unsigned level) const { return caches_[level]->misses(); }
  std::uint64_t evictions(unsigned level) const { return caches_[level]->evictions(); }
  std::size_t size(unsigned level) const { return caches_[level]->size(); }
  const PscParams& params() const { return p_; }

 private:
  using Cache = SetAssocCache<PscKey, PscEntry, PscKeyHash>;
  template <class Pred>
  std::size_t invalidate(Pred pred, std::size_t* examined);

  PscParams p_;
  std::array<std::unique_ptr<Cache>, kMaxLevel + 1> caches_;  // [2..5] used
  std::array<std::uint64_t, kMaxLevel + 1> hits_{};
  std::uint64_t misses_ = 0;
};

}  // namespace iommusim
