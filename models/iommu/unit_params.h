// Configuration of one DMA-remapping unit (a DRHD): where its registers are,
// what its CAP/ECAP say, how large and fast its caches are, and its timing.
//
// Features come either from named keys (`features: {sagaw: 0xc, ...}`) or from
// raw register values as Linux prints them (`cap: 0xd2008c40660462`,
// `ecap: 0xf0205b`); a raw bit whose feature iommusim does not model is refused
// with the bit's name. Scalable mode (SMTS with
// FLTS/SLTS/NEST/PASID) is off by default and can be switched on.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/cache_params.h"
#include "common/config.h"
#include "common/types.h"
#include "vtd/cap_ecap.h"
#include "iommu/iotlb.h"
#include "iommu/paging_structure_cache.h"
#include "iommu/requester_ordering.h"

namespace iommusim {

// Which second-level walker translates (docs/models/rtl-walker.md): the TLM
// reference, the Verilated RTL, or both with every walk compared.
enum class WalkerKind { Tlm, Rtl, Both };
const char* walker_kind_name(WalkerKind k);

struct RemappingUnitParams {
  std::string name = "iommu0";
  Addr reg_base = 0xFED90000;  // as on Intel platforms
  UnitFeatures features;
  double clock_mhz = 1000;
  Tick cycle_ps() const { return period_from_mhz(clock_mhz); }  // one cycle of the unit's clock
  unsigned pipeline_cycles = 2;  // every translated request, before any lookup
  unsigned reg_cycles = 1;       // register access
  unsigned walker_slots = 4;     // concurrent table walks
  // Round trip of each table read the translation engine sends through `mem`
  // (root, context, PASID and paging entries) across the uncore to the
  // coherent memory system and back, on top of what memory itself takes:
  // half (rounded down to the ps) before the read reaches memory, the rest
  // after it returns. 0 (default): reads go straight to memory, as before.
  Tick memory_latency_ps = 0;
  // Translation ordering per requester (requester_ordering.h); default: none.
  // `ordering`: the top-level rules (ordering.{misses, hit_under_miss,
  // in_order}), for every request when no class block is given.
  // `ordering_class`: set when ordering.posted or ordering.non_posted is
  // given; then each class has its own rules (the top level's, overridden by
  // its block's keys) and its own state (indexed by RequestClass).
  OrderingParams ordering;
  std::optional<std::array<OrderingParams, kRequestClasses>> ordering_class;
  ClassOrderingParams ordering_rules() const { return {ordering, ordering_class}; }
  WalkerKind walker = WalkerKind::Tlm;  // second-level walks: tlm | rtl | both
  unsigned qi_descriptor_cycles = 8;  // queued invalidation: each descriptor
  unsigned qi_entry_cycles = 1;       // ... plus each cache entry an invalidation examines
  // A device-TLB invalidation not completed within this is a time-out (ITE).
  // PCIe ATS: invalidate completions are due within one minute.
  Tick devtlb_timeout_ps = 60'000'000'000'000ull;
  unsigned ir_cycles = 2;        // every interrupt request with remapping on, before the IEC
  CacheParams context_cache{64, 0, ReplacementPolicy::Lru, 1};
  CacheParams iec{64, 0, ReplacementPolicy::Lru, 1};  // interrupt entry cache (IRTEs by index)
  CacheParams pasid_cache{64, 0, ReplacementPolicy::Lru, 1};  // scalable mode
  IotlbParams iotlb;
  PscParams psc{CacheParams{16, 0, ReplacementPolicy::Lru, 1}};     // second level, per level
  PscParams fl_psc{CacheParams{16, 0, ReplacementPolicy::Lru, 1}};  // first level, per level (scalable mode)

  // `address_width`: the platform's physical address width (HAW default).
  static RemappingUnitParams from_config(ConfigNode n, unsigned address_width);
};

// The default unit's features: a current server part with the models that
// exist (4- and 5-level second-level tables, 2 MiB and 1 GiB pages,
// pass-through, page-selective invalidation, queued invalidation, interrupt
// remapping with x2APIC mode and posted interrupts), legacy mode.
UnitFeatures default_unit_features(unsigned haw);

}  // namespace iommusim
