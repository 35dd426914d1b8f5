// PCIe endpoint with a DMA engine.
//
// One SC_THREAD issues the engine's requests in order (docs/architecture.md, "Timing"):
// each DMA is split into TLPs (tlp_split.h); a read TLP waits for a free tag, a
// write TLP for a posted credit (common/slot_pool.h); TLPs leave at most one per
// `issue_cycles` of the endpoint clock. The thread learns each TLP's completion
// time from the annotated delay of b_transport and keeps going, so up to `tags`
// reads are in flight from a single thread. A DMA is done when its last TLP
// completes; a DMA from a trace is then written to the transaction log.
//
// DMA pipelines (`request_latency_ns`, `completion_latency_ns`, default 0):
// a TLP reaches the link interface `request_latency` after the engine issued
// it (and takes its tag or credit there); a read DMA is done
// `completion_latency` after its last completion reached the link interface.
// Both delay, neither limits the issue rate. With the root complex's inbound
// buffers a posted credit is held until the root complex returned it
// (PcieAttr::credit_return) plus the UpdateFC's flight back over the link.
//
// Data mover (`copy_bytes_per_cycle`, default 0 = off): each DMA's data is
// copied between device memory and the PCIe interface, store-and-forward, by
// a mover of its own (not shared between DMAs), in dma_copy_time(). A read
// DMA is done that long after completion_latency; a write DMA's TLPs reach
// the link interface no earlier than that long (plus the request latency)
// after the engine took the DMA. TLPs leave for the link in engine order (at
// least the engine's issue gap apart), so a DMA behind a copying write waits
// for it; only tag and credit waits stall the engine itself.
//
// Write payload bytes are the low byte of each byte's address (a recognisable
// pattern in memory dumps).
//
// Device TLB (PCIe ATS, chapter 10; optional, `devtlb` in the config): each
// TLP's page is looked up in the endpoint's address translation cache (an
// IOTLB-organised cache, one lookup latency of the endpoint clock); a miss
// sends an ATS translation request (a read with AT = 01b whose completion
// carries one translation, ats.h) and waits for it. A translation that grants
// the access turns the TLP into a translated request (AT = 10b, translated
// address); one that does not (R/W missing, or Unsupported Request) leaves the
// TLP untranslated, and the IOMMU then translates it (or reports its fault).
// Invalidate requests from the IOMMU arrive on `from_link`: the endpoint removes
// the entries of the range and answers after `invalidation_latency_ns`, or
// never (`answers_invalidations: false`, to provoke the unit's ITE); an
// endpoint without a device TLB answers at once.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "common/bdf.h"
#include "common/config.h"
#include "common/local_clock.h"
#include "common/start_gate.h"
#include "common/payload_pool.h"
#include "common/pcie_attr.h"
#include "common/progress.h"
#include "common/stats_group.h"
#include "iommu/iotlb.h"
#include "mem/backing_store.h"
#include "vtd/ats_completion.h"
#include "pcie/dma_source.h"
#include "pcie/dma_totals.h"
#include "pcie/link.h"
#include "common/slot_pool.h"
#include "pcie/tlp_split.h"
#include "trace/txn_log.h"

namespace iommusim {

struct EndpointParams {
  std::string name;
  Bdf bdf;
  unsigned tags = 32;            // outstanding non-posted requests
  unsigned posted_credits = 64;  // outstanding posted writes
  unsigned mps = 256;            // Max_Payload_Size, bytes
  unsigned mrrs = 512;           // Max_Read_Request_Size, bytes
  double clock_mhz = 250;
  unsigned issue_cycles = 1;     // minimum cycles between two TLPs
  unsigned write_issue_cycles = 1;  // ... after a write TLP (the engine's write path; default: issue_cycles)
  unsigned write_bytes_per_cycle = 0;  // the write path's data width: + ceil(bytes / this) cycles (0: none)
  // The DMA engine's internal pipelines (device-specific; 0 = none):
  Tick request_latency_ps = 0;     // engine issues a TLP -> it is at the link interface
  Tick completion_latency_ps = 0;  // a read's last completion at the link interface -> DMA done
  // The DMA's data mover: bytes per endpoint clock cycle between device memory
  // and the PCIe interface, per DMA, store-and-forward (0 = no copy time).
  double copy_bytes_per_cycle = 0;
  LinkParams link;
  // Device TLB (ATS). Absent unless the config has a `devtlb` map.
  bool has_devtlb = false;
  IotlbParams devtlb;
  Tick invalidation_latency_ps = 100'000;  // invalidate request to completion
  bool answers_invalidations = true;
  bool invalid_completions = false;  // answers with an invalid completion (bad ITag): the unit's ICE
  // Memory BARs: [base, base + size), size a power of two >= 4 KiB, base
  // aligned to it. Their bytes are the device's registers/memory, read and
  // written by host MMIO (and peer-to-peer DMA).
  struct Bar {
    Addr base = 0;
    std::uint64_t size = 0;
  };
  std::vector<Bar> bars;
  bool acs = false;  // the function has ACS (isolates it from its multi-function siblings)

  static EndpointParams from_config(ConfigNode n);
};

// The data mover's time for `bytes` of one DMA: bytes / bytes_per_cycle
// cycles of `period_ps` (the endpoint clock's period, period_from_mhz), the
// product rounded once to the nearest picosecond, halves away from zero
// (std::llround); 0 when bytes_per_cycle is 0. Saturates at 2^62 ps.
Tick dma_copy_time(std::uint64_t bytes, double bytes_per_cycle, Tick period_ps);

class Endpoint : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Endpoint> to_link;
  // Downstream requests from the link: host MMIO to the BARs, and ATS
  // invalidate requests (PcieAttr::ats_invalidate). May stay unbound.
  tlm_utils::multi_passthrough_target_socket<Endpoint, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      from_link;

  Endpoint(sc_core::sc_module_name name, const EndpointParams& p, StatsRegistry& stats, DmaTotals& totals,
           LocalClock clock, Progress& progress, TxnLog* txn_log);

  // Gives the engine its work; call before simulation starts. Without a source
  // the endpoint stays idle.
  void set_source(std::unique_ptr<DmaSource> src) {
    source_ = std::move(src);
    if (source_) source_->register_stats(stats_group_);
  }
  bool has_source() const { return source_ != nullptr; }
  // The interrupts the engine's source raises, as (address, data) pairs.
  std::vector<std::pair<Addr, std::uint32_t>> msi_targets() const {
    return source_ ? source_->msi_targets() : std::vector<std::pair<Addr, std::uint32_t>>{};
  }
  // The device's driver programs an interrupt: an MSI the source asks for
  // with (from_addr, from_data) is sent as (to_addr, to_data). Before the run.
  void program_msi(Addr from_addr, std::uint32_t from_data, Addr to_addr, std::uint32_t to_data) {
    msi_map_[{from_addr, from_data}] = {to_addr, to_data};
  }
  // Per-packet mapping of the source's buffers (dma_mapper.h).
  const PacketBuffers* packet_buffers() const { return source_ ? source_->packet_buffers() : nullptr; }
  void set_mapper(DmaMapper* m) {
    if (source_) source_->set_mapper(m);
  }
  // The engine starts once `gate` is open (the host driver's bring-up).
  void set_start_gate(StartGate* gate) { gate_ = gate; }

  const EndpointParams& params() const { return p_; }
  const Iotlb* devtlb() const { return devtlb_.get(); }

 private:
  SC_HAS_PROCESS(Endpoint);
  void engine();
  struct TlpResult {
    Tick engine;  // when the engine issued it: t plus the time it waited at the link interface for a tag or credit
    Tick issued;  // when the TLP left (after waiting for a tag or credit)
    Tick done;    // completion returned (read) or write performed (posted)
    bool ok;
    std::optional<Addr> memory_addr;  // where memory performed it (mem/memory_outcome.h), for the log
  };
  // Issues one TLP from the engine no earlier than local time `t`: it leaves
  // for the link no earlier than max(t, data_ready) + request latency, nor
  // before the engine's previous TLP left plus its issue gap. `data_ready`:
  // when a write's data mover has fetched its data (0: no wait).
  TlpResult issue_tlp(Tick t, const DmaRequest& req, const TlpChunk& c, PcieAttr& attr, Tick data_ready = 0);
  // One ATS translation request for the page of `addr`, no earlier than `t`.
  struct AtsResult {
    Tick issued, done;
    bool ok;              // a translation completion came back (else UR)
    AtsCompletion c;
    std::uint8_t fault;   // the IOMMU's fault reason with UR
  };
  AtsResult ats_request(Tick t, Addr addr, PcieAttr attr);
  // The device-TLB entry a translation completion gives for `addr`.
  static IotlbEntry devtlb_entry(const AtsCompletion& c, Addr addr);
  // The device-TLB step before a TLP: may rewrite c.addr and attr.at.
  // Returns the time the TLP can go; `ats_issued` receives the issue time of
  // the translation request a miss sent (left alone on a hit).
  Tick translate_tlp(Tick t, bool write, TlpChunk& c, PcieAttr& attr, std::optional<Tick>& ats_issued);
  void downstream(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void ats_invalidate(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void bar_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  EndpointParams p_;
  DmaTotals& totals_;
  LocalClock clock_;
  Progress& progress_;
  TxnLog* txn_log_;
  std::unique_ptr<DmaSource> source_;
  std::map<std::pair<Addr, std::uint32_t>, std::pair<Addr, std::uint32_t>> msi_map_;
  StartGate* gate_ = nullptr;
  SlotPool tags_;
  SlotPool posted_;
  PayloadPool payloads_;  // the TLPs it issues (no allocation per TLP)
  Tick issue_gap_ps_;
  Tick write_issue_gap_ps_;
  Tick clock_period_ps_;  // one endpoint clock cycle (period_from_mhz)
  // The engine's gap after a write TLP of `bytes`: write_issue_cycles plus
  // the cycles its data takes on a write_bytes_per_cycle-wide path.
  Tick write_gap(std::uint32_t bytes) const;
  std::vector<unsigned char> buffer_;
  std::unique_ptr<Iotlb> devtlb_;
  SparseMemory bar_bytes_{64};
  Tick devtlb_lookup_ps_ = 0;
  // Earliest departure of the engine's next TLP: its previous TLP's departure
  // plus that TLP's issue gap (TLPs leave in order, the engine's gap apart).
  Tick next_departure_ = 0;

  StatsGroup stats_group_;  // the statistics below, under the instance name
  Counter& dmas_;
  Counter& bytes_;
  Counter& read_tlps_;
  Counter& write_tlps_;
  Counter& errors_;
  Counter& tag_wait_;
  Counter& ats_requests_;
  Counter& ats_unsupported_;
  Counter& translated_tlps_;
  Counter& untranslated_fallbacks_;
  Counter& invalidations_;
  Counter& entries_invalidated_;
  Counter& bar_reads_;
  Counter& bar_writes_;
  Histogram& latency_;
  Histogram* link_latency_ = nullptr;  // with a request or completion latency only
  Counter* copy_time_ = nullptr;       // with a data mover (copy_bytes_per_cycle > 0) only
};

}  // namespace iommusim
