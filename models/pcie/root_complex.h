// Root complex: the meeting point of the PCIe hierarchy and the host.
//
// Upstream, DMA requests from the links pass a fixed pipeline latency and go to
// the remapping unit whose device scope holds the requester: `to_memory[i]`
// (then memory). Writes into the MSI window 0xFEE00000-0xFEEFFFFF are
// interrupt messages, not memory: they go to that unit's interrupt input,
// `msi_out[i]` (interrupt remapping, then the interrupt controller). A
// requester that no unit's scope holds is not remapped: its DMA goes to
// `to_dram` (through the peer check) and its interrupts to `unremapped_irq` (VT-d 8.3: a
// device outside every DRHD scope). Routes are set per requester ID with
// set_route(); the default route applies to requesters without one.
//
// Peer-to-peer: what leaves a unit (translated) and unremapped DMA come back on
// `translated_in`; an address inside an endpoint's BAR goes down to that
// endpoint (mmio_out), anything else to `to_dram`. Requests between two
// devices of one IOMMU group whose group comes from a bridge without ACS
// (set_group) take the short way: the bridge routes them to the peer before
// they reach the root complex's remapping unit, untranslated (PCIe ACS,
// 6.12: without P2P Request Redirect a switch routes peer requests itself).
// The switch is not modelled as a component: such requests pay the root
// complex latency and the target's downstream link.
//
// Downstream, host MMIO arrives on `mmio_in` and is routed by address to the
// window that claims it (register blocks, BARs), each bound to `mmio_out`; an
// address that no window claims is a master abort (TLM address error).
//
// ATS invalidate requests from the remapping unit arrive on `ats_in` and are
// routed by ID (the PcieAttr requester field names the target function) to
// the endpoint registered for it; the endpoint's answer (its invalidate
// completion) comes back through the same call. A request for an ID that no
// endpoint has is dropped (a posted message): no completion comes
// (TLM_INCOMPLETE_RESPONSE), and the unit times out.
//
// Inbound buffers (optional, `inbound: {posted, non_posted}`): upstream TLPs
// from the links enter a posted or non-posted inbound queue of limited entries
// (inbound_queue.h) before the pipeline latency; the time one enters is when
// the root port returns its flow-control credit (PcieAttr::credit_return), and
// its entry is held until memory took the request (MemoryOutcome::accepted) or,
// for a request that never reached memory, until its call came back.
//
// Ordering (optional, `ordering: pcie`; posted_ordering.h): a non-posted
// request (read, ATS translation request) of a requester is not passed on
// (to the pipeline latency, the unit, memory) before every earlier posted
// request (memory write, interrupt message) of the same requester is globally
// visible: the time the write's call came back to the root complex, i.e. when
// the memory side (LLC or memory controller) had performed it (PCIe 2.4.1).
// A limited non-posted inbound entry stays held while the request waits.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/bdf.h"
#include "common/bdf_table.h"
#include "common/config.h"
#include "common/types.h"
#include "common/stats_group.h"
#include "pcie/inbound_queue.h"
#include "pcie/posted_ordering.h"

namespace iommusim {

struct RootComplexParams {
  double clock_mhz = 1000;
  unsigned latency_cycles = 10;  // each way: request in, read completion out
  // Inbound queue entries (PCIe flow control: what the root port's receive
  // buffer advertises as header credits), per class; 0 = unlimited.
  unsigned inbound_posted = 0;
  unsigned inbound_non_posted = 0;
  // Read-after-posted-write ordering per requester (PCIe 2.4.1, Table 2-39):
  // false = `ordering: none` (reads may pass writes), true = `pcie`.
  bool pcie_ordering = false;

  static RootComplexParams from_config(ConfigNode n);
};

class RootComplex : public sc_core::sc_module {
 public:
  static constexpr Addr kMsiBase = 0xFEE00000;
  static constexpr Addr kMsiLimit = 0xFEEFFFFF;

  // (Zero links is a valid platform: a host-only trace.)
  tlm_utils::multi_passthrough_target_socket<RootComplex, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      from_links;
  using MultiOut = tlm_utils::multi_passthrough_initiator_socket<RootComplex, 32, tlm::tlm_base_protocol_types, 0,
                                                                  sc_core::SC_ZERO_OR_MORE_BOUND>;
  MultiOut to_memory;          // [i]: remapping unit i's DMA input
  MultiOut msi_out;            // [i]: remapping unit i's interrupt input
  MultiOut to_dram;            // [0]: memory, for translated and unremapped DMA
  MultiOut unremapped_irq;     // [0]: the interrupt controller, likewise
  tlm_utils::simple_target_socket<RootComplex> mmio_in;
  tlm_utils::multi_passthrough_initiator_socket<RootComplex, 32, tlm::tlm_base_protocol_types, 0,
                                                sc_core::SC_ZERO_OR_MORE_BOUND>
      mmio_out;
  tlm_utils::multi_passthrough_target_socket<RootComplex, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      ats_in;  // from every remapping unit
  tlm_utils::multi_passthrough_target_socket<RootComplex, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      translated_in;  // from every remapping unit's dma_out
  tlm_utils::multi_passthrough_initiator_socket<RootComplex, 32, tlm::tlm_base_protocol_types, 0,
                                                sc_core::SC_ZERO_OR_MORE_BOUND>
      ats_out;

  RootComplex(sc_core::sc_module_name name, const RootComplexParams& p, StatsRegistry& stats);

  // Claims [base, base+size) for the target bound as mmio_out[port]. Windows must
  // not overlap (std::logic_error otherwise: the platform builder checks input).
  // `peer`: a device's BAR (a target for peer-to-peer DMA, owned by `bdf`).
  void add_mmio_window(Addr base, std::uint64_t size, int port, const std::string& owner, bool peer = false,
                       const Bdf& bdf = Bdf{});
  // The IOMMU group of `bdf`; `bridged`: the group comes from a bridge
  // without ACS, so peer requests inside it do not reach the unit.
  void set_group(const Bdf& bdf, int group, bool bridged) { groups_[bdf] = {group, bridged}; }
  // Upstream routing: requests from `bdf` go to unit `unit` (to_memory[unit],
  // msi_out[unit]); -1 = not remapped. Without a route: the default route.
  void set_route(const Bdf& bdf, int unit) { routes_.set(bdf, unit); }
  void set_default_route(int unit) { default_route_ = unit; }
  // Routes ATS invalidate requests for `bdf` to ats_out[port].
  void add_ats_target(const Bdf& bdf, int port) { ats_targets_[bdf] = port; }

 private:
  struct Window {
    Addr base;
    std::uint64_t size;
    int port;
    std::string owner;
    bool peer;
    Bdf bdf;
  };
  const Window* peer_window(Addr a, std::uint64_t len) const;
  void translated(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  struct Group {
    int id;
    bool bridged;
  };
  std::map<Bdf, Group> groups_;
  void dma(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // dma() after the inbound queue: the pipeline latency, then routing.
  void upstream(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Registers the statistics of one limited inbound queue as inbound.<cls>_*.
  void register_inbound_stats(const InboundQueue& q, const std::string& cls);
  void mmio(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void ats_invalidate(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  int route_of(const tlm::tlm_generic_payload& trans) const;

  Tick latency_ps_;
  std::vector<Window> windows_;
  std::map<Bdf, int> ats_targets_;
  BdfTable<int> routes_;  // looked up per DMA: constant time whatever the number of functions
  int default_route_ = 0;
  InboundQueue inbound_posted_;
  InboundQueue inbound_non_posted_;
  PostedOrdering ordering_;
  StatsGroup stats_group_;  // the statistics below, under the instance name
  Counter& dma_requests_;
  Counter& msis_;
  Counter& mmio_requests_;
  Counter& master_aborts_;
  Counter& ats_invalidations_;
  Counter& unremapped_;
  Counter& p2p_direct_;
  Counter& p2p_via_root_;
};

}  // namespace iommusim
