// The translation engine of a remapping unit (VT-d chapters 3, 6, 9): what the
// unit does to turn a request's address into a host-physical one, with the
// caches that hold translation structures (its model is gem5's
// SMMUTranslationProcess; it is plain C++ that reads memory through the
// unit's memory port at simulated times).
//
// Translation of a request at time T (all latencies in cycles of the unit's
// clock, docs/models/iommu.md "Timing"):
//   T + pipeline, then
//   legacy mode (RTADDR.TTM = 00b, 3.4): the context cache (hit: its latency;
//     miss: root and context entry reads, holding a walker slot); TT = 10b
//     passes through; else the IOTLB (hit: its latency), else the
//     paging-structure caches and a second-level walk from the deepest cached
//     level, holding a walker slot;
//   scalable mode (TTM = 01b, 3.4.3): the PASID cache (miss: scalable root,
//     context, PASID-directory and PASID-table reads), then PGTT decides:
//     pass-through, first-level (with its own PSCs), second-level, or nested
//     (first level over second level, 3.8).
// Each entry read is a timed memory read (plus the unit's memory_latency_ns
// round trip through the uncore). Fills carry the walk's end time, so a second
// miss to the page waits for the first walk instead of walking again. The
// request's completion then follows its requester's ordering rules
// (requester_ordering.h: outstanding misses, hit-under-miss, in order), one
// rule set for every request, or one per request class (posted: writes;
// non-posted: reads and ATS translation requests) with ordering.posted /
// ordering.non_posted.
//
// Invalidations of these caches (context cache, PASID cache, IOTLB, PSCs) are
// carried out here too, for register-based and queued invalidation alike.
#pragma once
#include <cstdint>
#include <string>

#include "common/payload_pool.h"
#include "common/pcie_attr.h"
#include "common/slot_pool.h"
#include "common/stats_group.h"
#include "iommu/configured_sl_walker.h"
#include "iommu/context_cache.h"
#include "iommu/iotlb.h"
#include "iommu/paging_structure_cache.h"
#include "iommu/pasid_cache.h"
#include "iommu/register_file.h"
#include "iommu/requester_ordering.h"
#include "iommu/unit_params.h"
#include "iommu/unit_ports.h"
#include "iommu/unit_stats.h"
#include "vtd/fault_reason.h"
#include "vtd/invalidation_granularity.h"
#include "vtd/qi_descriptor.h"

namespace iommusim {

class TranslationEngine {
 public:
  // What translation needs to know of a request.
  struct Request {
    std::uint16_t sid = 0;
    Addr iova = 0;
    bool write = false;
    bool has_pasid = false;
    std::uint32_t pasid = 0;
    bool exec = false, priv = false;
    AddressType at = AddressType::Untranslated;
  };
  struct Outcome {
    bool ok = false;
    Addr pa = 0;
    FaultReason fault = FaultReason::kNone;
    bool fpd = false;  // the structure's FPD (suppresses qualified faults)
    std::uint16_t did = 0;
    bool did_known = false;
    Tick done = 0;
    // Translation requests (ATS): what the translation grants (R = W = 0:
    // nothing, e.g. not present) and the size of the page it comes from.
    bool r = false, w = false;
    unsigned shift = 12;
  };

  // `seed` seeds the caches' replacement (each cache its own stream).
  TranslationEngine(const StatsGroup& unit, const RemappingUnitParams& p, const RegisterFile& regs, UnitPort& mem,
                    TranslationStats& stats, InvalidationStats& inv, ScopeStats& scopes, std::uint64_t seed);

  // Translates q arriving at absolute time t (translation enabled).
  Outcome translate(const Request& q, Tick t);

  // Invalidation scopes; each returns the number of cache entries examined
  // (the invalidation's cost in the queue's timing).
  std::size_t invalidate_context(ContextGranularity g, std::uint16_t did, std::uint16_t sid, unsigned fm);
  std::size_t invalidate_iotlb(IotlbGranularity g, std::uint16_t did, Addr addr, unsigned am, bool ih);
  std::size_t invalidate_pasid_iotlb(const QiDescriptor& d);  // 6.5.2.4 PASID-based IOTLB
  std::size_t invalidate_pasid_cache(const QiDescriptor& d);  // 6.5.2.2 PASID cache

  const Iotlb& iotlb() const { return iotlb_; }
  const ContextCache& context_cache() const { return cc_; }
  const PasidCache& pasid_cache() const { return pasid_cache_; }
  const PagingStructureCache& psc() const { return psc_; }
  const PagingStructureCache& fl_psc() const { return fl_psc_; }
  const ClassOrdering& ordering() const { return ordering_; }
  ConfiguredSlWalker& sl_walker() { return sl_walker_; }
  const ConfiguredSlWalker& sl_walker() const { return sl_walker_; }

 private:
  Outcome translate_legacy(const Request& q, Tick t);    // RTADDR.TTM = 00b
  Outcome translate_scalable(const Request& q, Tick t);  // RTADDR.TTM = 01b
  // A lookup or walk holds one walker slot, from the first time >= t one is
  // free until its last read returns; its reads go through the memory port.
  UnitReader begin_walk(Tick t);
  // A page walk (IOTLB miss) of the request being translated could start at
  // t: when its requester's outstanding-miss limit lets it start.
  Tick miss_walk_start(Tick t);
  Tick end_walk(const UnitReader& reader);  // returns the walk's end time
  // A lookup through a cache of table entries (context or PASID cache): a hit
  // gives the entry at its ready time; a miss looks the tables up, holding a
  // walker slot, and caches the result with its end time.
  template <class Cache, class Key, class Entry, class TableLookup>
  bool cached_lookup(Cache& cache, const Key& key, unsigned latency_cycles, Counter& hits, Counter& misses, Tick& t,
                     Entry& entry, Outcome& out, TableLookup&& table_lookup);
  bool context_of(std::uint16_t sid, Tick& t, ContextEntry& ce, Outcome& out);
  bool pasid_entry_of(const Request& q, Tick& t, PasidCacheEntry& pe, Outcome& out);
  SlWalkParams sl_params(Addr table, unsigned levels) const;  // from the unit's features
  // Second-level walk from `top` (levels) for domain `did`, through the PSCs;
  // fills the IOTLB under `pasid`.
  void walk(std::uint16_t did, Addr top, unsigned levels, std::uint32_t pasid, const Request& q, Tick& t,
            Outcome& out);
  void walk_first_level(const PasidCacheEntry& pce, const Request& q, Tick& t, Outcome& out);
  void count_iotlb_miss(std::uint16_t did, std::uint16_t sid);

  const RemappingUnitParams& p_;
  const RegisterFile& regs_;
  UnitPort& mem_;
  TranslationStats& stats_;
  InvalidationStats& inv_;
  ScopeStats& scopes_;
  Tick cycle_ps_;
  ContextCache cc_;
  PasidCache pasid_cache_;
  Iotlb iotlb_;
  PagingStructureCache psc_;
  PagingStructureCache fl_psc_;
  SlotPool walkers_;
  PayloadPool payloads_;  // the walks' table reads (no allocation per read)
  ConfiguredSlWalker sl_walker_;
  ClassOrdering ordering_;
  // The request being translated: its requester, class, arrival, and whether
  // it walked.
  std::uint16_t cur_sid_ = 0;
  RequestClass cur_class_ = RequestClass::NonPosted;
  Tick cur_arrival_ = 0;
  bool cur_walked_ = false;
};

}  // namespace iommusim
