// IOTLB (VT-d 6.2.3): caches the result of second-level translations, tagged by
// domain (DID) and, once scalable mode exists, PASID. Entries are 4 KiB, 2 MiB
// or 1 GiB pages. Organisation, as configured:
//   * unified: one set-associative array holds every page size; a lookup probes
//     it once per enabled size (1 GiB, 2 MiB, 4 KiB), in one lookup latency
//     (the simulator skips a size no entry has ever had: it cannot hit);
//   * split: one array per page size, probed in parallel.
// The set index is the page number at the entry's size (low bits of the page
// number select the set). An entry filled by a walk that has not finished yet
// is visible with its fill time, so a second miss to that page waits for the
// walk instead of walking again.
//
// Invalidation (VT-d 6.5.1 register-based, 6.5.2 queued): global, domain-
// selective, and page-selective-within-domain with address mask AM (the 2^AM
// pages from the naturally aligned address) — every entry whose page overlaps
// the range goes, whatever its size.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/cache_params.h"
#include "common/config.h"
#include "common/set_assoc_cache.h"
#include "common/types.h"

namespace iommusim {

struct IotlbParams {
  bool split = false;         // per-size arrays instead of one unified array
  CacheParams unified{128, 8, ReplacementPolicy::Lru, 1};
  CacheParams size_4k{64, 4, ReplacementPolicy::Lru, 1};
  CacheParams size_2m{32, 4, ReplacementPolicy::Lru, 1};
  CacheParams size_1g{8, 0, ReplacementPolicy::Lru, 1};

  static IotlbParams from_config(ConfigNode n);
  unsigned latency_cycles() const;
};

struct IotlbEntry {
  Addr frame = 0;        // host physical address of the page
  std::uint8_t shift = 12;  // log2 page size: 12, 21, 30
  bool r = false, w = false;
  bool x = true;     // first level: not XD
  bool user = true;  // first level: U/S = 1 (user requests allowed)
};

// Legacy-mode entries carry no PASID (kNoPasid); scalable-mode entries are
// tagged with the PASID the request used (its own or RID_PASID).
inline constexpr std::uint32_t kNoPasid = 0xffffffffu;

struct IotlbKey {
  std::uint16_t did = 0;
  std::uint8_t shift = 12;
  std::uint32_t pasid = kNoPasid;
  Addr vpn = 0;  // iova >> shift
  bool operator==(const IotlbKey& o) const {
    return did == o.did && shift == o.shift && pasid == o.pasid && vpn == o.vpn;
  }
};

struct IotlbKeyHash {
  std::size_t operator()(const IotlbKey& k) const {
    return std::hash<std::uint64_t>()(k.vpn * 0x9e3779b97f4a7c15ull ^ (std::uint64_t(k.did) << 8) ^ k.shift ^
                                      (std::uint64_t(k.pasid) << 24));
  }
};

class Iotlb {
 public:
  using Array = SetAssocCache<IotlbKey, IotlbEntry, IotlbKeyHash>;

  Iotlb(const IotlbParams& p, std::uint64_t seed);

  // The entry translating `iova` in domain `did`, or null (counted as a hit or
  // a miss). `ready` receives the entry's fill time.
  const IotlbEntry* lookup(std::uint16_t did, Addr iova, Tick* ready, std::uint32_t pasid = kNoPasid);
  void insert(std::uint16_t did, Addr iova, const IotlbEntry& e, Tick ready, std::uint32_t pasid = kNoPasid);

  // Domain and page scopes cover every PASID of the domain. Each returns the
  // number of entries removed; `examined` (optional) receives
  // the number of entries looked at, for invalidation timing.
  std::size_t invalidate_global(std::size_t* examined = nullptr);
  std::size_t invalidate_domain(std::uint16_t did, std::size_t* examined = nullptr);
  std::size_t invalidate_pages(std::uint16_t did, Addr addr, unsigned am, std::size_t* examined = nullptr);
  // PASID-based (VT-d 6.5.2.4): every entry of (did, pasid), or those whose
  // page overlaps the 2^am pages at addr.
  std::size_t invalidate_pasid(std::uint16_t did, std::uint32_t pasid, std::size_t* examined = nullptr);
  std::size_t invalidate_pasid_pages(std::uint16_t did, std::uint32_t pasid, Addr addr, unsigned am,
                                     std::size_t* examined = nullptr);

  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t hits_by_size(unsigned shift) const { return size_hits_[slot(shift)]; }
  std::size_t size() const;
  const IotlbParams& params() const { return p_; }

 private:
  static unsigned slot(unsigned shift) { return shift == 12 ? 0 : shift == 21 ? 1 : 2; }
  Array& array_for(unsigned shift) { return *arrays_[p_.split ? slot(shift) : 0]; }
  template <class Pred>
  std::size_t invalidate(Pred pred, std::size_t* examined);

  IotlbParams p_;
  std::array<std::unique_ptr<Array>, 3> arrays_;  // unified: only [0]
  std::uint64_t hits_ = 0, misses_ = 0;
  std::array<std::uint64_t, 3> size_hits_{};
  // Bit slot(shift) set once an entry of that page size has been inserted
  // (never cleared): lookup() probes only those sizes.
  unsigned sizes_inserted_ = 0;
};

}  // namespace iommusim
