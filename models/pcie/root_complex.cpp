#include "pcie/root_complex.h"

#include <stdexcept>

#include <fmt/format.h>

#include "common/pcie_attr.h"
#include "common/sc_time_conv.h"
#include "common/stats_group.h"
#include "mem/memory_outcome.h"

namespace iommusim {

RootComplexParams RootComplexParams::from_config(ConfigNode n) {
  RootComplexParams p;
  p.clock_mhz = n.real("clock_mhz", p.clock_mhz, 1, 100000);
  p.latency_cycles = static_cast<unsigned>(n.u64("latency_cycles", p.latency_cycles, 0, 1'000'000));
  ConfigNode in = n.child("inbound");
  p.inbound_posted = static_cast<unsigned>(in.u64("posted", p.inbound_posted, 0, 4096));
  p.inbound_non_posted = static_cast<unsigned>(in.u64("non_posted", p.inbound_non_posted, 0, 4096));
  p.pcie_ordering = n.choice("ordering", "none", {"none", "pcie"}) == "pcie";
  return p;
}

RootComplex::RootComplex(sc_core::sc_module_name name, const RootComplexParams& p, StatsRegistry& stats)
    : sc_module(name),
      from_links("from_links"),
      to_memory("to_memory"),
      msi_out("msi_out"),
      to_dram("to_dram"),
      unremapped_irq("unremapped_irq"),
      mmio_in("mmio_in"),
      mmio_out("mmio_out"),
      ats_in("ats_in"),
      translated_in("translated_in"),
      ats_out("ats_out"),
      latency_ps_(period_from_mhz(p.clock_mhz) * p.latency_cycles),
      inbound_posted_(p.inbound_posted),
      inbound_non_posted_(p.inbound_non_posted),
      ordering_(p.pcie_ordering),
      stats_group_(stats, this->name()),
      dma_requests_(stats_group_.counter("dma_requests", "Upstream DMA requests")),
      msis_(stats_group_.counter("msis", "MSI-window writes (interrupt messages)")),
      mmio_requests_(stats_group_.counter("mmio_requests", "Downstream MMIO requests")),
      master_aborts_(stats_group_.counter("master_aborts",
                                   "MMIO requests that no window claimed")),
      ats_invalidations_(stats_group_.counter("ats_invalidations",
                                       "ATS invalidate requests routed to endpoints")),
      unremapped_(stats_group_.counter("unremapped",
                                "Upstream requests from devices outside every remapping unit's scope")),
      p2p_direct_(stats_group_.counter("p2p_direct",
                                "Peer-to-peer requests routed below a bridge without ACS (not remapped)")),
      p2p_via_root_(stats_group_.counter("p2p_via_root",
                                  "Peer-to-peer requests routed through the root complex (after remapping, or from an unremapped device)")) {
  // (Only a limited queue has statistics, so that a platform without one
  // keeps its statistics as they were.)
  if (inbound_posted_.limited()) register_inbound_stats(inbound_posted_, "posted");
  if (inbound_non_posted_.limited()) register_inbound_stats(inbound_non_posted_, "non_posted");
  // (Likewise, the ordering statistics only with `ordering: pcie`.)
  if (ordering_.enabled()) {
    const StatsGroup g = stats_group_.group("ordering");
    g.formula("read_waits", "Non-posted requests (reads, translation requests) that waited for an earlier posted "
              "request of their requester to become visible", "Count",
              [this] { return double(ordering_.waits()); });
    g.formula("read_wait", "Total time non-posted requests waited for earlier posted requests of their requester",
              "Tick", [this] { return double(ordering_.wait()); });
  }
  from_links.register_b_transport(this, &RootComplex::dma);
  mmio_in.register_b_transport(this, &RootComplex::mmio);
  ats_in.register_b_transport(this, &RootComplex::ats_invalidate);
  translated_in.register_b_transport(this, &RootComplex::translated);
}

void RootComplex::register_inbound_stats(const InboundQueue& q, const std::string& cls) {
  const StatsGroup g = stats_group_.group("inbound");
  const std::string what = cls == "posted" ? "posted" : "non-posted";
  g.formula(cls + "_wait", fmt::format("Time {} TLPs waited in the root port's receive buffer for an inbound entry", what),
            "Tick", [&q] { return double(q.wait()); });
  g.formula(cls + "_waits", fmt::format("{} TLPs that waited for an inbound entry", what == "posted" ? "Posted" : "Non-posted"),
            "Count", [&q] { return double(q.waited()); });
  g.formula(cls + "_peak", fmt::format("Most {} inbound entries in use at once", what), "Count",
            [&q] { return double(q.peak()); });
}

const RootComplex::Window* RootComplex::peer_window(Addr a, std::uint64_t len) const {
  for (const Window& w : windows_)
    if (w.peer && a >= w.base && a - w.base < w.size && len <= w.size - (a - w.base)) return &w;
  return nullptr;
}

void RootComplex::translated(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (const Window* w = peer_window(trans.get_address(), trans.get_data_length())) {
    ++p2p_via_root_;
    mmio_out[w->port]->b_transport(trans, delay);
    return;
  }
  if (to_dram.size() == 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  to_dram[0]->b_transport(trans, delay);
}

void RootComplex::ats_invalidate(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  ++ats_invalidations_;
  delay += to_sc_time(latency_ps_);
  const PcieAttr* attr = trans.get_extension<PcieAttr>();
  const auto it = attr ? ats_targets_.find(attr->requester) : ats_targets_.end();
  if (it == ats_targets_.end()) {
    // A posted message to no function: dropped; no completion ever comes.
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    return;
  }
  ats_out[it->second]->b_transport(trans, delay);
  if (trans.is_response_ok()) delay += to_sc_time(latency_ps_);  // the completion's way back
}

void RootComplex::add_mmio_window(Addr base, std::uint64_t size, int port, const std::string& owner, bool peer,
                                  const Bdf& bdf) {
  for (const Window& w : windows_)
    if (base < w.base + w.size && w.base < base + size)
      throw std::logic_error(fmt::format("MMIO window of {} at {:#x} overlaps {}'s at {:#x}", owner, base,
                                         w.owner, w.base));
  windows_.push_back({base, size, port, owner, peer, bdf});
}

int RootComplex::route_of(const tlm::tlm_generic_payload& trans) const {
  const PcieAttr* attr = trans.get_extension<PcieAttr>();
  if (!attr) return default_route_;
  const int* unit = routes_.find(attr->requester);
  return unit ? *unit : default_route_;
}

void RootComplex::dma(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  ++dma_requests_;
  // Memory writes and interrupt messages are posted; reads and translation
  // requests non-posted.
  const bool posted = trans.is_write();
  InboundQueue& q = posted ? inbound_posted_ : inbound_non_posted_;
  // Ordering applies to requests with a requester ID (every endpoint's).
  const PcieAttr* attr = ordering_.enabled() ? trans.get_extension<PcieAttr>() : nullptr;
  const bool ordered = attr != nullptr;
  const Bdf requester = attr ? attr->requester : Bdf{};
  if (!q.limited() && !ordered) return upstream(trans, delay);
  if (q.limited()) {
    const Tick arrival = now_tick() + to_tick(delay);
    const Tick entered = q.enter(arrival);
    delay = to_sc_time(entered - now_tick());
    if (PcieAttr* a = trans.get_extension<PcieAttr>()) a->credit_return = entered;
  }
  // A non-posted request waits (in its inbound entry, if limited) until its
  // requester's earlier posted requests are visible.
  if (ordered && !posted) {
    const Tick ready = now_tick() + to_tick(delay);
    delay = to_sc_time(ordering_.non_posted(requester, ready) - now_tick());
  }
  // The entry frees when memory takes the request: attach a MemoryOutcome to
  // learn when, unless the requester attached one.
  MemoryOutcome own;
  MemoryOutcome* memory = nullptr;
  if (q.limited()) {
    memory = trans.get_extension<MemoryOutcome>();
    if (!memory) {
      memory = &own;
      trans.set_extension(&own);
    }
  }
  upstream(trans, delay);
  if (memory == &own) trans.clear_extension(&own);
  // A posted request is globally visible when its call comes back: the memory
  // side has performed it (a DDIO write: the LLC owns and has written the
  // line; otherwise the memory controller has written it), or the unit
  // blocked it, or a peer's BAR or the interrupt controller took it.
  if (ordered && posted) ordering_.posted(requester, now_tick() + to_tick(delay));
  // A request that never reached memory (a fault, a peer's BAR, an interrupt
  // message) holds its entry until its call came back.
  if (q.limited()) q.hold_until(memory->reached ? memory->accepted : now_tick() + to_tick(delay));
}

void RootComplex::upstream(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  delay += to_sc_time(latency_ps_);
  const Addr a = trans.get_address();
  const int unit = route_of(trans);
  const bool msi = trans.is_write() && a >= kMsiBase && a <= kMsiLimit;
  if (!msi) {
    // A peer in the requester's group below a bridge without ACS.
    const PcieAttr* attr = trans.get_extension<PcieAttr>();
    // (Translation requests go to the translation agent, never to a peer.)
    const Window* w =
        attr && attr->at != AddressType::TranslationRequest ? peer_window(a, trans.get_data_length()) : nullptr;
    if (w && w->bdf != attr->requester) {
      const auto from = groups_.find(attr->requester), to = groups_.find(w->bdf);
      if (from != groups_.end() && to != groups_.end() && from->second.bridged && from->second.id == to->second.id) {
        ++p2p_direct_;
        mmio_out[w->port]->b_transport(trans, delay);
        return;
      }
    }
  }
  if (unit < 0) {
    ++unremapped_;
    if (msi) {
      if (unremapped_irq.size() == 0) trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      else unremapped_irq[0]->b_transport(trans, delay);
      return;
    }
    translated(0, trans, delay);
    if (trans.is_read()) delay += to_sc_time(latency_ps_);
    return;
  }
  MultiOut& out = msi ? msi_out : to_memory;
  const int port = unit;
  if (port >= static_cast<int>(out.size())) {
    // (The platform builder binds every route it sets.)
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (msi) {
    ++msis_;
    out[port]->b_transport(trans, delay);
    return;
  }
  out[port]->b_transport(trans, delay);
  if (trans.is_read()) delay += to_sc_time(latency_ps_);
}

void RootComplex::mmio(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  ++mmio_requests_;
  delay += to_sc_time(latency_ps_);
  const Addr a = trans.get_address();
  for (const Window& w : windows_) {
    if (a >= w.base && a - w.base < w.size) {
      mmio_out[w.port]->b_transport(trans, delay);
      if (trans.is_read()) delay += to_sc_time(latency_ps_);
      return;
    }
  }
  ++master_aborts_;
  trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

}  // namespace iommusim
