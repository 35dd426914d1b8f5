// The OS driver model's SystemC shell: Linux's intel-iommu as seen by the
// hardware. It programs the remapping units only through what software has
// - register accesses and stores to memory through the host CPU (HostBus),
// each timed - and uses the plain-C++ driver logic (DmaApi, one per unit)
// for every decision about IOVAs, page tables and invalidation policy.
//
// Bring-up, per unit (Linux init_dmars(), intel_iommu_init(); VT-d 11.4):
//  1. read CAP and ECAP (11.4.2, 11.4.3) and derive what the driver uses:
//     page-table levels from SAGAW, superpages from SLLPS, PSI/MAMV/DRD/DWD
//     for invalidations, caching mode, PT, QI, IR, EIM, SMTS;
//  2. enable queued invalidation (6.5.2, 11.4.9): IQT = 0, IQA (DW = 1 when
//     ECAP.SMTS, as Linux does), GCMD.QIE, poll GSTS.QIES. A unit without QI
//     is refused (register-based invalidation is not built in the driver);
//  3. allocate the root table, write RTADDR (TTM legacy or scalable, 11.4.5),
//     GCMD.SRTP, poll GSTS.RTPS; then a global context-cache invalidation,
//     in scalable mode a global PASID-cache invalidation, a global IOTLB
//     invalidation and a wait (Linux's flush after root-table set-up);
//  4. interrupt remapping where supported and asked for (5.1, 11.4.10):
//     the interrupt remapping table, IRTA (EIME for x2APIC), GCMD.SIRTP,
//     a global IEC invalidation, GCMD.IRE; compatibility-format interrupts
//     stay blocked (CFI = 0, as Linux leaves them). Each device's MSIs get
//     an IRTE (remapped format, source-id verified) and the device is
//     programmed with the remappable-format address and data;
//  5. every endpoint in the unit's scope is attached to its domain: the
//     context entry (legacy, 9.3) or the scalable-mode context entry, PASID
//     directory and RID_PASID's PASID-table entry (9.4-9.6: second-level
//     for DMA and unmanaged domains, pass-through for identity); RMRRs of
//     the device are mapped 1:1 (8.4), unmanaged domains get their fixed
//     maps;
//  6. GCMD.TE, poll GSTS.TES. Then the start gate opens and the devices run.
//
// Moving a device to another domain during the run (`events`, Linux
// domain_context_clear_one() then domain_context_mapping()): the context
// entry is cleared (present bit first), then a device-selective context-cache
// invalidation (6.5.2.1; in scalable mode also a domain-selective PASID-cache
// invalidation, 6.5.2.2), a domain-selective IOTLB invalidation of the old
// domain-id and, for an ATS device, a device-TLB invalidation of all
// addresses, and a wait; then the entry for the new domain is written.
//
// ATS (Linux iommu_enable_pci_caps(), iommu_flush_dev_iotlb()): a device
// with a device TLB in a translating domain of a unit with ECAP.DT gets a
// legacy context entry with TT = 01, and every IOTLB invalidation of its
// domain is followed by a device-TLB invalidation (6.5.2.5) of the same
// range for it - a page-selective range with S and the size in the address
// bits, a domain or global one as "all addresses" - before the wait.
//
// Per unit, the register accesses, GCMD protocol (11.4.4), invalidation
// submission (Linux qi_submit_sync()) and the unit-wide bring-up steps 2-4
// are DriverUnit's (driver_unit.h); this class does the per-device steps,
// the domains and the DMA API.
//
// Lazy unmaps: the flush queue's timer is a thread of its own (Linux's
// fq_timer), which flushes a unit's domains when the deadline passes.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "common/bdf.h"
#include "common/run_error.h"
#include "common/start_gate.h"
#include "common/stats.h"
#include "host/buffer_pipeline.h"
#include "host/dma_api.h"
#include "host/driver_unit.h"
#include "host/host_bus.h"
#include "host/host_driver_params.h"
#include "host/host_driver_stats.h"
#include "trace/trace_record.h"
#include "vtd/cap_ecap.h"
#include "vtd/qi_descriptor.h"

namespace iommusim {

struct DriverRmrr {
  Addr base = 0, limit = 0;  // inclusive
  std::vector<Bdf> devices;
};

// Everything a HostDriver is built from.
struct HostDriverSetup {
  HostDriverParams params;
  std::vector<DriverUnitInfo> units;
  std::vector<DriverEndpointInfo> endpoints;
  std::vector<DriverRmrr> rmrrs;
  MsiProgrammer program_msi;
};

class HostDriver : public sc_core::sc_module {
 public:
  HostDriver(sc_core::sc_module_name name, const HostDriverSetup& setup, HostBus& bus, RunError& error,
             StatsRegistry& stats);
  ~HostDriver() override;

  // Performs the bring-up (from the host CPU's thread), then opens ready().
  // Throws InputError when the platform cannot do what the configuration
  // asks (e.g. identity domains without ECAP.PT).
  void bring_up();
  StartGate& ready() { return ready_; }

  // Trace-v1 `map` / `unmap` (from the host CPU's thread). Returns false and
  // sets `why` when the driver refuses (e.g. an IOVA already mapped).
  bool trace_map(const TraceRecord& r, std::string& why);
  bool trace_unmap(const TraceRecord& r, std::string& why);

  // The DMA API for device workloads that map per packet (any thread):
  // dma_map_single() / dma_unmap_single(). map returns false when it fails
  // (IOVA space or table pages exhausted).
  // `why` (if given) gets the reason of a failure.
  bool dma_map(const Bdf& dev, Addr pa, uint64_t size, DmaDirection dir, Addr& dma_addr, std::string* why = nullptr);
  void dma_unmap(const Bdf& dev, Addr dma_addr, uint64_t size);

  // A workload of endpoint `name` that maps per packet (before the run):
  // the driver thread that serves it, and the mapper the workload asks.
  DmaMapper* add_pipeline(const std::string& name, const Bdf& dev, const PacketBuffers& pb);

  // The logic of one unit, for tests and statistics.
  const DmaApi& api(std::size_t unit) const;
  std::size_t unit_count() const { return units_.size(); }
  Addr root_table(std::size_t unit) const;
  Addr invalidation_queue(std::size_t unit) const;
  Addr irt(std::size_t unit) const;

 private:
  using Unit = DriverUnit;
  SC_HAS_PROCESS(HostDriver);
  void flush_timer();
  void run_events();
  void move_device(const DriverEvent& ev);
  DomainId domain_for(Unit& u, const std::string& device, DomainType type, const std::string& name);

  Unit& unit_of(const Bdf& dev, const char* what);
  // After taking a unit's lock asked for at `asked`: records the wait, returns now.
  Tick locked_at(Tick asked);
  // The unit carries the actions out; then the flush-queue timer re-arms.
  void perform(Unit& u, DriverActions&& actions);
  void attach_devices(Unit& u, std::size_t index);
  void write_context(Unit& u, const DriverEndpointInfo& ep, DomainId d);

  HostDriverParams p_;
  HostBus& bus_;
  RunError& error_;
  StatsRegistry& stats_;
  std::vector<std::unique_ptr<BufferPipeline>> pipelines_;
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<DriverEndpointInfo> endpoints_;
  std::vector<DriverRmrr> rmrrs_;
  MsiProgrammer program_msi_;
  StartGate ready_;
  sc_core::sc_event fq_armed_;

  HostDriverStats st_;
  Tick bringup_done_ = 0;
};

}  // namespace iommusim
