// The host's DMA mapping layer over the simulated IOMMU, as Linux's
// intel-iommu with dma-iommu programs it (drivers/iommu/dma-iommu.c:
// iommu_dma_map_page(), __iommu_dma_unmap(), iommu_dma_alloc_iova();
// drivers/iommu/intel/iommu.c: intel_iommu_map_pages(), intel_iommu_unmap(),
// intel_iommu_tlb_sync(), intel_flush_iotlb_all()). Plain C++: every call
// updates the logical state at once and returns the side effects (memory
// stores, invalidations, waits, CPU time) for the SystemC shell to perform in
// order (driver_action.h).
//
// Domains (iommu_domain types) and what map does in each:
//  * Identity (IOMMU_DOMAIN_IDENTITY, iommu=pt with hardware pass-through):
//    DMA addresses are physical addresses; map returns pa and writes
//    nothing (dma-direct). The context entry is pass-through (TT = 2).
//  * Dma (IOMMU_DOMAIN_DMA): map allocates an IOVA below the device's DMA
//    mask, maps it to the pages holding [pa, pa + size) with superpages
//    where allowed, and returns the IOVA plus pa's offset in its page. Unmap
//    clears the entries and invalidates strictly or lazily (flush_queue.h).
//  * Unmanaged (IOMMU_DOMAIN_UNMANAGED, VFIO type1): the user chooses IOVAs:
//    map_fixed()/unmap_fixed(); unmap is always strict (iommu_unmap()).
//  * Blocked (IOMMU_DOMAIN_BLOCKED): no DMA; map throws std::logic_error and
//    the context entry is not present.
//
// Errors: wrong use (unknown device or domain, a map in a blocked or
// unmanaged domain through the DMA API, an unmap that matches no mapping) is
// std::logic_error (std::invalid_argument for malformed arguments, which
// derives from it). Running out of resources (IOVA space, table pages) is a
// failed DmaMapResult, as DMA_MAPPING_ERROR is in Linux.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bdf.h"
#include "common/types.h"
#include "host/domain_page_table.h"
#include "host/driver_action.h"
#include "host/flush_queue.h"
#include "host/iova_allocator.h"
#include "host/table_page_pool.h"
#include "vtd/context_entry.h"

namespace iommusim {

enum class DomainType : uint8_t { Identity, Dma, Unmanaged, Blocked };
enum class DmaDirection : uint8_t { ToDevice, FromDevice, Bidirectional };

struct DmaPerm {
  bool r = true, w = true;
};

inline constexpr uint64_t kDmaMask32 = 0xffffffffull;  // DMA_BIT_MASK(32), the PCI default
inline constexpr uint64_t kDmaMask64 = ~uint64_t{0};

struct DmaApiParams {
  PageTableParams page_table;  // per domain with tables
  IovaAllocatorParams iova;    // per DMA domain
  FlushQueueParams flush;      // strict/lazy policy; flush.caps also serve unmanaged domains
  // Table pages for every domain come from this window of memory.
  Addr table_pool_base = 0x40000000;        // 1 GiB
  uint64_t table_pool_bytes = 64ull << 20;  // 16384 pages
  // iommu.forcedac=1: no first attempt below 4 GiB for 64-bit devices.
  bool forcedac = false;
  // Reserve the interrupt window 0xFEE00000..0xFEEFFFFF in every DMA
  // domain's IOVA space (intel-iommu reports it as IOMMU_RESV_MSI,
  // dma-iommu reserves it with reserve_iova()).
  bool reserve_msi_window = true;
  // CAP.CM (caching mode, a virtual IOMMU): invalidate after every map too.
  bool caching_mode = false;
  // CPU time, in ns, charged per map, per unmap and after each invalidation
  // wait. 0 (the default) charges nothing and emits no Cpu action.
  double map_cpu_ns = 0;
  double unmap_cpu_ns = 0;
  double inv_wait_cpu_ns = 0;
};

using DomainId = uint32_t;

struct DmaMapResult {
  bool ok = false;
  Addr dma_addr = 0;    // IOVA + offset of pa in its page (pa for identity)
  std::string error;    // why not ok
  DriverActions actions;
};

struct DmaApiStats {
  uint64_t maps = 0;            // successful DMA-API maps (identity included)
  uint64_t map_failures = 0;
  uint64_t unmaps = 0;
  uint64_t identity_maps = 0;
  uint64_t fixed_maps = 0;      // map_fixed
  uint64_t fixed_unmaps = 0;    // unmap_fixed
  uint64_t direct_maps = 0;     // map_direct (RMRR regions)
  uint64_t bytes_mapped = 0;    // DMA-API bytes requested by successful maps
  uint64_t dac_fallbacks = 0;   // devices that gave up the below-4-GiB first attempt
  uint64_t writes = 0;          // Write actions
  uint64_t invalidations = 0;   // Invalidate actions
  uint64_t waits = 0;           // Wait actions
  uint64_t iova_frees = 0;      // FreeIova actions
  uint64_t table_releases = 0;  // table pages released
};

class DmaApi {
 public:
  explicit DmaApi(const DmaApiParams& p = {});
  ~DmaApi();
  DmaApi(const DmaApi&) = delete;  // page tables refer to the pool inside
  DmaApi& operator=(const DmaApi&) = delete;

  // A new domain with domain-id `did` (unique; std::invalid_argument if
  // taken). Dma and Unmanaged domains get their top-level table now.
  DomainId create_domain(DomainType type, uint16_t did);
  // Puts `dev` in domain `d` with its DMA mask (dma_set_mask()). A device
  // with live DMA-API mappings cannot move (std::logic_error).
  void attach(const Bdf& dev, DomainId d, uint64_t dma_mask = kDmaMask32);
  // The legacy context entry the device's domain calls for (VT-d 9.3).
  ContextEntry context_entry(const Bdf& dev) const;

  DmaMapResult map(const Bdf& dev, Addr pa, uint64_t size, DmaDirection dir);
  // `dma_addr` and `size` as map returned and was given.
  DriverActions unmap(Tick now, const Bdf& dev, Addr dma_addr, uint64_t size);
  DriverActions map_fixed(DomainId d, Addr iova, Addr pa, uint64_t size, DmaPerm perm);
  // A map at an IOVA the caller chose (trace-v1 `map`, or an imported
  // kernel's choice), in whatever domain `dev` is in: a Dma domain claims
  // exactly that IOVA range from its allocator (std::logic_error if it is
  // taken) and records a DMA-API mapping that unmap_at() releases under the
  // flush policy; an Unmanaged domain does map_fixed(); an Identity domain
  // accepts only iova == pa and writes nothing; a Blocked one refuses.
  // iova and pa must have the same offset in their 4 KiB page.
  DriverActions map_at(const Bdf& dev, Addr iova, Addr pa, uint64_t size, DmaPerm perm);
  // The unmap of a map_at(): unmap() or unmap_fixed() by domain type.
  DriverActions unmap_at(Tick now, const Bdf& dev, Addr iova, uint64_t size);
  // A reserved-memory region (ACPI RMRR, VT-d 8.4) mapped 1:1 read-write
  // into domain `d`, as Linux does for IOMMU_RESV_DIRECT regions: a Dma
  // domain also takes the range out of its IOVA space for good; Identity
  // and Blocked domains need nothing. base and size 4 KiB aligned.
  DriverActions map_direct(DomainId d, Addr base, uint64_t size);
  // The domain `dev` is attached to (std::invalid_argument if none).
  DomainId domain_of(const Bdf& dev) const;
  DriverActions unmap_fixed(DomainId d, Addr iova, uint64_t size);
  // Flush-queue timers: call at next_deadline().
  DriverActions on_time(Tick now);
  std::optional<Tick> next_deadline() const;
  // Flushes every queued unmap now.
  DriverActions drain(Tick now);

  DomainType domain_type(DomainId d) const;
  uint16_t domain_did(DomainId d) const;
  const DomainPageTable* page_table(DomainId d) const;  // null for identity, blocked
  const IovaAllocator* iova_allocator(DomainId d) const;  // Dma domains only
  std::size_t live_mappings(DomainId d) const;          // DMA-API mappings not yet unmapped
  // Whether `dev` still tries below 4 GiB first (pci_32bit_workaround).
  bool tries_32bit_first(const Bdf& dev) const;
  const FlushQueue& flush_queue() const { return fq_; }
  const TablePagePool& table_pool() const { return pool_; }
  const DmaApiParams& params() const { return p_; }
  const DmaApiStats& stats() const { return stats_; }

 private:
  struct Mapping {
    IovaRange alloc;
    uint64_t pages = 0;  // mapped pages (<= alloc.pages)
    Bdf dev;             // who mapped it
  };
  struct Domain {
    DomainType type;
    uint16_t did;
    std::unique_ptr<IovaAllocator> iova;
    std::unique_ptr<DomainPageTable> pt;
    std::map<uint64_t, Mapping> live;  // by first IOVA pfn
  };
  struct Device {
    DomainId domain = 0;
    uint64_t dma_mask = kDmaMask32;
    bool try_32bit = true;
  };

  Domain& domain(DomainId d, const char* op);
  const Domain& domain(DomainId d) const;
  Device& device(const Bdf& dev, const char* op);
  void emit_writes(const PteWrites& w, DriverActions& out);
  void emit_invalidation(const IotlbFlush& f, DriverActions& out);
  void emit_flush(FlushActions&& fa, DriverActions& out);
  void emit_cpu(CpuCost c, double ns, DriverActions& out);
  void emit_map_side_effects(Domain& dom, const PtMapResult& r, Addr iova, uint64_t bytes, DriverActions& out);

  DmaApiParams p_;
  TablePagePool pool_;
  FlushQueue fq_;
  std::vector<std::unique_ptr<Domain>> domains_;
  std::map<uint16_t, DomainId> by_did_;
  std::map<Bdf, Device> devices_;
  DmaApiStats stats_;
};

const char* to_string(DomainType t);
const char* to_string(DmaDirection d);

}  // namespace iommusim
