// A DMA-remapping hardware unit (DRHD; VT-d chapters 3-7, 10, 11): the SystemC
// shell that gives the unit its sockets and register interface and hands
// each request to the part that handles it (docs/architecture.md, "The path
// of one translated DMA"):
//
//   regs     MMIO target: the register block at the unit's base (VT-d 11),
//            RegisterFile; commands that register writes ask for are carried
//            out here (execute_commands)
//   dma_in   untranslated, translated and translation requests from the root
//            complex: TranslationEngine (translation_engine.h), then
//   dma_out  the same requests, translated, towards memory
//   mem      the unit's own memory port: table walks (competing with DMA),
//            invalidation-queue fetches, IRTE and posted-descriptor accesses
//   msi_in   interrupt requests: InterruptRemapper (interrupt_remapper.h)
//   irq_out  to the interrupt controller (remapped interrupts, fault and
//            invalidation events)
//   ats_out  ATS invalidate requests, routed by requester ID
//
// The queued-invalidation engine (invalidation_queue.h) runs in the unit's
// one SC_THREAD; faults go to FaultRecorder (fault_recorder.h); statistics
// are the UnitStats group (unit_stats.h).
//
// Translation disabled (GSTS.TES = 0): requests are forwarded untranslated
// with no delay. A request that faults completes with an error response at the
// time the fault was found, carrying the reason in PcieAttr::fault_reason.
// Register-based invalidation (CCMD, IOTLB register) is carried out when the
// register is written and completes at once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/pcie_attr.h"
#include "common/stats.h"
#include "iommu/fault_recorder.h"
#include "iommu/interrupt_remapper.h"
#include "iommu/invalidation_queue.h"
#include "iommu/register_file.h"
#include "iommu/translation_engine.h"
#include "iommu/unit_params.h"
#include "iommu/unit_stats.h"

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
  const Iotlb& iotlb() const { return engine_.iotlb(); }
  const ContextCache& context_cache() const { return engine_.context_cache(); }
  const PasidCache& pasid_cache() const { return engine_.pasid_cache(); }
  const InterruptEntryCache& iec() const { return ir_.iec(); }
  const PagingStructureCache& psc() const { return engine_.psc(); }
  const PagingStructureCache& fl_psc() const { return engine_.fl_psc(); }

  // With walker: both, the walks whose TLM and RTL results differed, and the
  // reports of the first ones (as also given to SC_REPORT_WARNING).
  std::uint64_t cosim_mismatches() const { return engine_.sl_walker().cosim_mismatches(); }
  const std::vector<std::string>& cosim_reports() const { return engine_.sl_walker().cosim_reports(); }
  // The RTL walker's waveform, for walks overlapping [from, to] ps (walker:
  // rtl or both; else InputError). close_vcd() finishes the file.
  void open_vcd(const std::string& path, Tick from, Tick to) { engine_.sl_walker().open_vcd(path, from, to); }
  void close_vcd() { engine_.sl_walker().close_vcd(); }
  // Tests: replace the RTL walker (e.g. by a deliberately broken variant).
  void use_rtl_walker(std::unique_ptr<RtlSlWalker> w) { engine_.sl_walker().use_rtl_walker(std::move(w)); }
  // The PCI segment of the unit's scope: where its ATS invalidate requests go.
  void set_segment(std::uint16_t segment) { qi_.set_segment(segment); }

 private:
  void reg_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Carries out what register writes asked for; `at` is the write's time
  // as an offset from now (the queue engine starts then).
  void execute_commands(const sc_core::sc_time& at);
  void dma(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void msi(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) { ir_.request(trans, delay); }
  // An ATS translation request (PCIe AT = 01b, VT-d 4.2.3): answered with a
  // translation completion in the request's 8-byte data buffer, or with an
  // Unsupported Request (TLM error response) and a recorded fault.
  void translation_request(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay, PcieAttr* attr);
  // Translates a request that arrived at `arrival` (translation enabled),
  // with the per-request statistics.
  TranslationEngine::Outcome translate(const TranslationEngine::Request& q, Tick arrival);
  void record(const TranslationEngine::Outcome& o, std::uint16_t sid, Addr iova, bool write, const PcieAttr* attr);
  // Protected memory regions (VT-d 11.4.x PMEN/PLMBASE/PLMLIMIT/PHMBASE/
  // PHMLIMIT): with PMEN.EPM set, DMA of any kind to [pa, pa + len) that
  // overlaps a region is blocked, translation on or off (as Intel's server
  // parts document; the spec leaves the translated case to the
  // implementation). Not a remapping fault: not recorded.
  bool in_protected_region(Addr pa, std::uint64_t len) const;
  SC_HAS_PROCESS(RemappingUnit);
  void qi_engine() { qi_.run(); }  // the SC_THREAD of the queued-invalidation engine

  RemappingUnitParams p_;
  Tick cycle_ps_;
  RegisterFile regfile_;
  UnitStats stats_;
  FaultRecorder faults_;
  TranslationEngine engine_;
  InterruptRemapper ir_;
  InvalidationQueue qi_;
};

}  // namespace iommusim
