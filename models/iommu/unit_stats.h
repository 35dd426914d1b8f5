// The statistics of one remapping unit (names under the unit's SystemC name,
// e.g. system.iommu0.iotlb_hits; listed with their meaning in
// docs/models/iommu.md, "Statistics"), grouped by the part of the unit that
// counts them. The shell makes one UnitStats and hands each part its group:
//   RequestStats        the shell: DMA and ATS requests in, bypass, PMR
//   TranslationStats    the translation engine: caches, walks
//   InvalidationStats   register-based and queued invalidation
//   InterruptRemapStats interrupt requests (the "ir." group)
//   FaultStats          fault recording and fault events
//   ScopeStats          per-domain, per-device and per-reason counters,
//                       created when a domain, device or reason first occurs
// The RTL walker's and cosimulation's statistics belong to the configured
// walker (configured_sl_walker.h).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "common/id_table.h"
#include "common/stats_group.h"
#include "common/types.h"
#include "iommu/requester_ordering.h"
#include "vtd/fault_reason.h"

namespace iommusim {

struct RequestStats {
  explicit RequestStats(const StatsGroup& g);
  Counter& translations;
  Counter& bypassed;
  Counter& pmr_blocked;
  Counter& ats_requests;
  Counter& ats_unsupported;
  Counter& ats_no_access;
  Histogram& latency;
};

struct TranslationStats {
  explicit TranslationStats(const StatsGroup& g);
  TranslationStats(const TranslationStats&) = delete;
  TranslationStats& operator=(const TranslationStats&) = delete;
  // An IOTLB hit on a page of 2^shift bytes (4 KiB, 2 MiB or 1 GiB).
  void iotlb_hit(unsigned shift) {
    ++iotlb_hits;
    ++*iotlb_size_hits[shift == 12 ? 0 : shift == 21 ? 1 : 2];
  }
  Counter& passthrough;
  Counter& cc_hits;
  Counter& cc_misses;
  Counter& pasid_hits;
  Counter& pasid_misses;
  Counter& iotlb_hits;
  Counter& iotlb_misses;
  std::array<Counter*, 3> iotlb_size_hits{};  // 4 KiB, 2 MiB, 1 GiB
  Counter& psc_hits;
  Counter& psc_misses;
  Counter& fl_walks;
  Counter& fl_psc_hits;
  Counter& context_walks;
  Counter& walks;
  Counter& walk_reads;
  Counter& walker_wait;
  // Translation ordering per requester (requester_ordering.h): requests held
  // back by each rule and for how long.
  struct OrderingStats {
    // `of_class`: the counters of one class only (their descriptions say so);
    // none: the totals over both classes.
    OrderingStats(const StatsGroup& g, std::optional<RequestClass> of_class);
    Counter& hit_under_miss_stalls;
    Counter& hit_under_miss_wait;
    Counter& miss_limit_stalls;
    Counter& miss_limit_wait;
    Counter& in_order_stalls;
    Counter& in_order_wait;
  };
  OrderingStats ordering;  // the totals, over both request classes
  // The same per class (`posted.*`, `non_posted.*`), registered by
  // add_ordering_classes() only when the unit has class rules, so that other
  // units' statistics stay as they were.
  std::array<std::unique_ptr<OrderingStats>, kRequestClasses> ordering_class;
  void add_ordering_classes(const StatsGroup& unit);
  // A request of class `c` held back `wait` (> 0) by a rule: counted in the
  // totals, and in the class's statistics when there are any.
  void miss_limit(RequestClass c, Tick wait);
  void hit_under_miss(RequestClass c, Tick wait);
  void in_order(RequestClass c, Tick wait);
  Average& reads_per_walk;
  Histogram& walk_latency;
};

struct InvalidationStats {
  explicit InvalidationStats(const StatsGroup& g);
  Counter& cc_invalidations;
  Counter& iotlb_invalidations;
  Counter& entries_invalidated;
  Counter& register_invalidations_refused;
  Counter& qi_descriptors;
  Counter& qi_errors;
  Counter& qi_waits;
  Counter& devtlb_invalidations;
  Counter& devtlb_timeouts;
  Counter& devtlb_completion_errors;
  Counter& invalidation_events;
};

struct InterruptRemapStats {
  explicit InterruptRemapStats(const StatsGroup& unit);
  Counter& forwarded;  // with IRES = 0 (the unit's msis_forwarded)
  Counter& requests;   // the rest are in the unit's "ir." group
  Counter& remapped;
  Counter& posted;
  Counter& compat_passed;
  Counter& blocked;
  Counter& faults_recorded;
  Counter& faults_suppressed;
  Counter& iec_hits;
  Counter& iec_misses;
  Counter& irte_reads;
  Counter& iec_invalidations;
  Counter& notifications;
  Counter& pid_updates;
  Histogram& latency;
};

struct FaultStats {
  explicit FaultStats(const StatsGroup& g);
  Counter& faults;
  Counter& faults_recorded;
  Counter& faults_suppressed;
  Counter& fault_events;
};

class ScopeStats {
 public:
  struct Scope {
    Counter* translations;
    Counter* faults;
    Counter* iotlb_misses;
  };
  explicit ScopeStats(const StatsGroup& g) : g_(g) {}
  // Looked up once or twice per request: a flat table by id (id_table.h),
  // the counters registered when the id first occurs.
  Scope& domain(std::uint16_t did) {  // <unit>.domain_<did>.*
    if (Scope* s = domains_.find(did)) return *s;
    return add_domain(did);
  }
  Scope& device(std::uint16_t sid) {  // <unit>.device_<bus>_<dev>_<fn>.*
    if (Scope* s = devices_.find(sid)) return *s;
    return add_device(sid);
  }
  Counter& reason(FaultReason r);  // <unit>.faults_reason_<code>

 private:
  Scope& add_domain(std::uint16_t did);
  Scope& add_device(std::uint16_t sid);

  StatsGroup g_;
  IdTable<Scope> domains_;
  IdTable<Scope> devices_;
  std::map<std::uint8_t, Counter*> reasons_;
};

struct UnitStats {
  explicit UnitStats(const StatsGroup& unit)
      : requests(unit), translation(unit), invalidation(unit), ir(unit), faults(unit), scopes(unit) {}
  RequestStats requests;
  TranslationStats translation;
  InvalidationStats invalidation;
  InterruptRemapStats ir;
  FaultStats faults;
  ScopeStats scopes;
};

}  // namespace iommusim
