// PCIe endpoint with a DMA engine.
//
// One SC_THREAD issues the engine's requests in order (DESIGN.md, "Timing"):
// each DMA is split into TLPs (tlp_split.h); a read TLP waits for a free tag, a
// write TLP for a posted credit (tag_pool.h); TLPs leave at most one per
// `issue_cycles` of the endpoint clock. The thread learns each TLP's completion
// time from the annotated delay of b_transport and keeps going, so up to `tags`
// reads are in flight from a single thread. A DMA is done when its last TLP
// completes; a DMA from a trace is then written to the transaction log.
//
// Write payload bytes are the low byte of each byte's address (a recognisable
// pattern in memory dumps).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "common/bdf.h"
#include "common/config.h"
#include "common/local_clock.h"
#include "common/pcie_attr.h"
#include "common/progress.h"
#include "common/stats.h"
#include "pcie/dma_source.h"
#include "pcie/dma_totals.h"
#include "pcie/link.h"
#include "pcie/tag_pool.h"
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
  LinkParams link;

  static EndpointParams from_config(ConfigNode n);
};

class Endpoint : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Endpoint> to_link;

  Endpoint(sc_core::sc_module_name name, const EndpointParams& p, StatsRegistry& stats, DmaTotals& totals,
           LocalClock clock, Progress& progress, TxnLog* txn_log);

  // Gives the engine its work; call before simulation starts. Without a source
  // the endpoint stays idle.
  void set_source(std::unique_ptr<DmaSource> src) { source_ = std::move(src); }
  bool has_source() const { return source_ != nullptr; }

  const EndpointParams& params() const { return p_; }

 private:
  SC_HAS_PROCESS(Endpoint);
  void engine();
  struct TlpResult {
    Tick issued;  // when the TLP left (after waiting for a tag or credit)
    Tick done;    // completion returned (read) or write performed (posted)
    bool ok;
  };
  // Issues one TLP no earlier than local time `t`.
  TlpResult issue_tlp(Tick t, const DmaRequest& req, const TlpChunk& c, PcieAttr& attr);

  EndpointParams p_;
  DmaTotals& totals_;
  LocalClock clock_;
  Progress& progress_;
  TxnLog* txn_log_;
  std::unique_ptr<DmaSource> source_;
  TagPool tags_;
  TagPool posted_;
  Tick issue_gap_ps_;
  std::vector<unsigned char> buffer_;

  Counter& dmas_;
  Counter& bytes_;
  Counter& read_tlps_;
  Counter& write_tlps_;
  Counter& errors_;
  Counter& tag_wait_;
  Histogram& latency_;
};

}  // namespace iommusim
