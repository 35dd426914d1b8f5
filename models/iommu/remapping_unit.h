// A DMA-remapping hardware unit (DRHD), legacy mode (VT-d chapters 3, 6, 7, 10):
// the SystemC shell that composes the register file, the caches, the context
// lookup and the second-level walker, and adds sockets and timing.
//
//   regs     MMIO target: the register block at the unit's base (VT-d 11)
//   dma_in   untranslated DMA from the root complex
//   dma_out  the same requests, translated, towards memory
//   mem      the unit's own memory port: table walks (competing with DMA)
//
// Translation of a request arriving at time T (all latencies in cycles of the
// unit's clock):
//   translation disabled (GSTS.TES = 0): forwarded untranslated, no delay;
//   otherwise T + pipeline, then the context cache (hit: its latency; miss:
//   root and context entry reads through `mem`, holding a walker slot), then
//   pass-through (TT = 10b) forwards; else the IOTLB (hit: its latency), else
//   the paging-structure caches and a walk from the deepest cached level,
//   holding a walker slot; each entry read is a timed memory read. Fills carry
//   the walk's end time, so a second miss to the page waits for the first walk.
// A request that faults completes with an error response at the time the fault
// was found, carrying the reason in PcieAttr::fault_reason; the fault is
// recorded in the fault recording registers unless FPD suppresses it.
//
// Register-based invalidation (CCMD, IOTLB register) is carried out when the
// register is written and completes at once.
#pragma once
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/msi_message.h"
#include "common/pcie_attr.h"
#include "common/stats.h"
#include "iommu/context_cache.h"
#include "vtd/fault_reason.h"
#include "iommu/interrupt_entry_cache.h"
#include "iommu/interrupt_remap.h"
#include "iommu/iotlb.h"
#include "iommu/paging_structure_cache.h"
#include "iommu/pasid_cache.h"
#include "vtd/qi_descriptor.h"
#include "iommu/register_file.h"
#include "iommu/rtl_walker.h"
#include "iommu/walk_cosim.h"
#include "iommu/sl_walker.h"
#include "iommu/timed_table_reader.h"
#include "iommu/unit_params.h"
#include "common/slot_pool.h"

namespace iommusim {

class RemappingUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<RemappingUnit> regs;
  tlm_utils::simple_target_socket<RemappingUnit> dma_in;
  tlm_utils::simple_initiator_socket<RemappingUnit> dma_out;
  tlm_utils::simple_initiator_socket<RemappingUnit> mem;
  tlm_utils::simple_target_socket<RemappingUnit> msi_in;        // interrupt messages from the root complex
  tlm_utils::simple_initiator_socket<RemappingUnit> irq_out;    // to the interrupt controller
  tlm_utils::simple_initiator_socket<RemappingUnit> ats_out;    // ATS invalidate requests, routed by ID

  RemappingUnit(sc_core::sc_module_name name, const RemappingUnitParams& p, StatsRegistry& stats,
                std::uint64_t seed);

  const RemappingUnitParams& params() const { return p_; }
  std::uint64_t register_block_bytes() const { return regfile_.size(); }
  const RegisterFile& register_file() const { return regfile_; }
  const Iotlb& iotlb() const { return iotlb_; }
  const ContextCache& context_cache() const { return cc_; }
  const PasidCache& pasid_cache() const { return pasid_cache_; }
  const InterruptEntryCache& iec() const { return iec_; }
  const PagingStructureCache& psc() const { return psc_; }
  const PagingStructureCache& fl_psc() const { return fl_psc_; }

  // With walker: both, the walks whose TLM and RTL results differed.
  std::uint64_t cosim_mismatches() const { return cosim_.mismatches ? cosim_.mismatches->value() : 0; }
  // The reports of the first mismatches (as also given to SC_REPORT_WARNING).
  const std::vector<std::string>& cosim_reports() const { return cosim_reports_; }
  // The RTL walker's waveform, for walks overlapping [from, to] ps (walker:
  // rtl or both; else InputError). close_vcd() finishes the file.
  void open_vcd(const std::string& path, Tick from, Tick to);
  void close_vcd();
  // Tests: replace the RTL walker (e.g. by a deliberately broken variant).
  void use_rtl_walker(std::unique_ptr<RtlSlWalker> w);
  // The PCI segment of the unit's scope: where its ATS invalidate requests go.
  void set_segment(std::uint16_t segment) { segment_ = segment; }

 private:
  struct Outcome {
    bool ok = false;
    Addr pa = 0;
    FaultReason fault = FaultReason::kNone;
    bool fpd = false;  // the context entry's FPD (suppresses qualified faults)
    std::uint16_t did = 0;
    bool did_known = false;
    Tick done = 0;
    // Translation requests (ATS): what the translation grants (R = W = 0:
    // nothing, e.g. not present) and the size of the page it comes from.
    bool r = false, w = false;
    unsigned shift = 12;
  };

  void reg_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Interrupt requests from devices (remapping_unit_ir.cpp): passed on as
  // they are while GSTS.IRES = 0; otherwise remapped, posted, passed
  // (compatibility format with CFIS) or blocked with a fault (VT-d 5.1, 5.2).
  void msi(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Delivers an interrupt message to the interrupt controller at absolute
  // time `t`; the controller reports what it received through `attr`.
  // Returns the delivery's completion time.
  Tick deliver(const MsiFields& f, Tick t, PcieAttr* attr);
  // Posted-interrupt descriptor update (5.2.3) for `o` at time `t`: a locked
  // read-modify-write of the 64-byte descriptor through `mem`, then the
  // notification event if one is due. Returns false on a descriptor access
  // error (fault 0x27).
  bool post(const RemapOutcome& o, Tick& t, PcieAttr* attr);
  // Records an interrupt-remapping fault (FRCD.FI bits 63:48 = index).
  void record_ir_fault(FaultReason r, bool fpd, std::uint16_t sid, std::uint32_t index, Tick t);
  // Sends an interrupt message (FEDATA to FEADDR, IEDATA to IEADDR).
  // `attr` (optional) receives what the interrupt controller delivered.
  // Returns when the message was delivered.
  Tick send_interrupt(const MsiMessage& m, const sc_core::sc_time& delay, PcieAttr* attr = nullptr);
  void dma(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // An ATS translation request (PCIe AT = 01b, VT-d 4.2.3): answered with a
  // translation completion in the request's 8-byte data buffer, or with an
  // Unsupported Request (TLM error response) and a recorded fault.
  void translation_request(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay, PcieAttr* attr);
  // What the translation needs to know of a request.
  struct Request {
    std::uint16_t sid = 0;
    Addr iova = 0;
    bool write = false;
    bool has_pasid = false;
    std::uint32_t pasid = 0;
    bool exec = false, priv = false;
    AddressType at = AddressType::Untranslated;
  };
  Outcome translate(const Request& q, Tick t);
  // Legacy mode (RTADDR.TTM = 00b).
  Outcome translate_legacy(const Request& q, Tick t);
  // A table lookup or walk holds one walker slot, from the first time >= t one
  // is free until its last read returns; its reads go through `mem`.
  using WalkReader = TimedTableReader<tlm_utils::simple_initiator_socket<RemappingUnit>>;
  WalkReader begin_walk(Tick t);
  Tick end_walk(const WalkReader& reader);  // returns the walk's end time
  SlWalkParams sl_params(Addr table, unsigned levels) const;  // from the unit's features
  // One second-level walk on the configured walker (tlm, rtl, or both:
  // TLM result, RTL compared).
  SlWalkResult sl_walk(WalkReader& reader, const SlWalkParams& wp, const SlWalkRequest& rq);
  // Resolves the context entry of `sid` at time t (cache or table reads).
  bool context_of(std::uint16_t sid, Tick& t, ContextEntry& ce, Outcome& out);
  // Second-level walk from `top` (levels) for domain `did`, through the PSCs;
  // fills the IOTLB under `pasid`.
  void walk(std::uint16_t did, Addr top, unsigned levels, std::uint32_t pasid, const Request& q, Tick& t,
            Outcome& out);
  // Scalable mode (RTADDR.TTM = 01b): PASID entry, then PGTT decides.
  Outcome translate_scalable(const Request& q, Tick t);
  bool pasid_entry_of(const Request& q, Tick& t, PasidCacheEntry& pe, Outcome& out);
  void walk_first_level(const PasidCacheEntry& pce, const Request& q, Tick& t, Outcome& out);

  void record(const Outcome& o, std::uint16_t sid, Addr iova, bool write, const PcieAttr* attr);
  // Protected memory regions (VT-d 11.4.x PMEN/PLMBASE/PLMLIMIT/PHMBASE/
  // PHMLIMIT): with PMEN.EPM set, DMA of any kind to [pa, pa + len) that
  // overlaps a region is blocked, translation on or off (as Intel's server
  // parts document; the spec leaves the translated case to the
  // implementation). Not a remapping fault: not recorded.
  bool in_protected_region(Addr pa, std::uint64_t len) const;
  // Carries out what register writes asked for; `at` is the write's time
  // as an offset from now (the queue engine starts then).
  void execute_commands(const sc_core::sc_time& at);
  // The scopes shared by register-based and queued invalidation; each
  // returns the number of cache entries examined (for timing).
  std::size_t invalidate_context(ContextGranularity g, std::uint16_t did, std::uint16_t sid, unsigned fm);
  std::size_t invalidate_iotlb(IotlbGranularity g, std::uint16_t did, Addr addr, unsigned am, bool ih);
  // Queued invalidation (remapping_unit_qi.cpp).
  SC_HAS_PROCESS(RemappingUnit);
  void qi_engine();
  // Processes descriptors from IQH to IQT; false when it stopped on an error.
  void qi_drain();
  void qi_error(unsigned iqei);
  // IQERCD (11.4.9.x): IQEI 3:0, ITESID 47:32, ICESID 63:48; the others keep.
  void set_iqercd_field(unsigned shift, std::uint64_t mask, std::uint64_t value);
  std::size_t qi_execute(const QiDescriptor& d);
  void invalidation_event();
  // Device-TLB invalidate descriptor (0x3, 0x8): sends the ATS invalidate
  // request and notes when its completion is due (or that none will come).
  void send_devtlb_invalidation(const QiDescriptor& d);
  // A wait descriptor's wait for the outstanding device-TLB invalidations;
  // false when one timed out (ITE raised, the queue stops at the wait).
  bool wait_for_devtlb_invalidations();
  void raise_devtlb_timeout();
  // Raises the fault event `at` (an offset from now).
  void fault_event(const sc_core::sc_time& at = sc_core::SC_ZERO_TIME);

  struct ScopeStats {
    Counter* translations;
    Counter* faults;
    Counter* iotlb_misses;
  };
  ScopeStats& domain_stats(std::uint16_t did);
  ScopeStats& device_stats(std::uint16_t sid);
  Counter& reason_counter(FaultReason r);

  RemappingUnitParams p_;
  StatsRegistry& stats_;
  Tick cycle_ps_;
  RegisterFile regfile_;
  ContextCache cc_;
  PasidCache pasid_cache_;
  InterruptEntryCache iec_;
  Iotlb iotlb_;
  PagingStructureCache psc_;
  PagingStructureCache fl_psc_;
  SlotPool walkers_;

  Counter& translations_;
  Counter& bypassed_;
  Counter& passthrough_;
  Counter& faults_;
  Counter& faults_recorded_;
  Counter& faults_suppressed_;
  Counter& fault_events_;
  Counter& cc_hits_;
  Counter& cc_misses_;
  Counter& pasid_hits_;
  Counter& pasid_misses_;
  Counter& fl_walks_;
  Counter& fl_psc_hits_;
  Counter& iotlb_hits_;
  Counter& iotlb_misses_;
  std::array<Counter*, 3> iotlb_size_hits_{};  // 4 KiB, 2 MiB, 1 GiB
  Counter& psc_hits_;
  Counter& psc_misses_;
  Counter& context_walks_;
  Counter& walks_;
  Counter& walk_reads_;
  Counter& walker_wait_;
  Counter& cc_invalidations_;
  Counter& iotlb_invalidations_;
  Counter& entries_invalidated_;
  Counter& register_invalidations_refused_;
  Counter& qi_descriptors_;
  Counter& qi_errors_;
  Counter& qi_waits_;
  Counter& devtlb_invalidations_;
  Counter& devtlb_timeouts_;
  Counter& devtlb_completion_errors_;
  Tick devtlb_pending_until_ = 0;   // latest completion of the sent invalidations
  bool devtlb_unanswered_ = false;  // an invalidation got no completion
  Tick devtlb_timeout_at_ = 0;      // ... and times out then
  std::uint16_t devtlb_timeout_sid_ = 0;
  std::uint16_t segment_ = 0;
  Counter& invalidation_events_;
  Counter& msis_forwarded_;
  // Interrupt remapping (GSTS.IRES = 1).
  struct IrStats {
    Counter* requests;      // interrupt requests processed with remapping on
    Counter* remapped;
    Counter* posted;
    Counter* compat_passed;
    Counter* blocked;
    Counter* faults_recorded;
    Counter* faults_suppressed;
    Counter* iec_hits;
    Counter* iec_misses;
    Counter* irte_reads;
    Counter* iec_invalidations;
    Counter* notifications;  // posted: notification events sent
    Counter* pid_accesses;   // posted: descriptor read-modify-writes
    Histogram* latency;
  } ir_{};
  Counter& pmr_blocked_;
  Counter& ats_requests_;
  Counter& ats_ur_;
  Counter& ats_no_access_;
  sc_core::sc_event qi_kick_;
  Average& reads_per_walk_;
  Histogram& latency_;
  Histogram& walk_latency_;
  std::map<std::uint16_t, ScopeStats> domains_;
  std::map<std::uint16_t, ScopeStats> devices_;
  std::map<std::uint8_t, Counter*> reasons_;
  // The RTL walker (walker: rtl | both) and its statistics.
  std::unique_ptr<RtlSlWalker> rtl_;
  struct {
    Counter* walks = nullptr;
    Histogram* clock_cycles = nullptr;
  } rtl_stats_;
  static constexpr std::uint64_t kCosimReportsShown = 10;
  struct {
    Counter* walks = nullptr;
    Counter* mismatches = nullptr;
    std::array<Counter*, kCosimFieldCount> field{};
    Histogram* tlm_cycles = nullptr;
    Histogram* rtl_cycles = nullptr;
    Histogram* cycle_diff = nullptr;
    Counter* rtl_faster = nullptr;
  } cosim_;
  std::vector<std::string> cosim_reports_;
};

}  // namespace iommusim
