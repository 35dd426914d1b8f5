#include "pcie/endpoint.h"

#include <algorithm>

#include <fmt/format.h>

#include "pcie/tlp_split.h"

namespace iommusim {

EndpointParams EndpointParams::from_config(ConfigNode n) {
  EndpointParams p;
  p.name = n.instance_name("name", "");
  const std::string bdf = n.required_str("bdf");
  auto parsed = parse_bdf(bdf);
  if (!parsed) n.fail("bdf", fmt::format("expected a PCI requester ID BB:DD.F, got '{}'", bdf));
  p.bdf = *parsed;
  p.tags = static_cast<unsigned>(n.u64("tags", p.tags, 1, 1024));
  p.posted_credits = static_cast<unsigned>(n.u64("posted_credits", p.posted_credits, 1, 4096));
  p.mps = static_cast<unsigned>(n.pow2("mps", p.mps, 128, 4096));
  p.mrrs = static_cast<unsigned>(n.pow2("mrrs", p.mrrs, 128, 4096));
  p.clock_mhz = n.real("clock_mhz", p.clock_mhz, 1, 100000);
  p.issue_cycles = static_cast<unsigned>(n.u64("issue_cycles", p.issue_cycles, 0, 1'000'000));
  p.link = LinkParams::from_config(n.child("link"), p.mps);
  return p;
}

Endpoint::Endpoint(sc_core::sc_module_name name, const EndpointParams& p, StatsRegistry& stats,
                   DmaTotals& totals, LocalClock clock, Progress& progress, TxnLog* txn_log)
    : sc_module(name),
      to_link("to_link"),
      p_(p),
      totals_(totals),
      clock_(clock),
      progress_(progress),
      txn_log_(txn_log),
      tags_(p.tags),
      posted_(p.posted_credits),
      issue_gap_ps_(period_from_mhz(p.clock_mhz) * p.issue_cycles),
      buffer_(std::max(p.mps, p.mrrs)),
      dmas_(stats.counter(std::string(this->name()) + ".dmas", "DMAs completed")),
      bytes_(stats.counter(std::string(this->name()) + ".bytes", "Bytes moved by successful DMAs", "Byte")),
      read_tlps_(stats.counter(std::string(this->name()) + ".read_tlps", "Memory read request TLPs issued")),
      write_tlps_(stats.counter(std::string(this->name()) + ".write_tlps", "Memory write TLPs issued")),
      errors_(stats.counter(std::string(this->name()) + ".errors", "DMAs completed with an error or fault")),
      tag_wait_(stats.counter(std::string(this->name()) + ".tag_wait",
                              "Time TLPs waited for a free tag or posted credit", "Tick")),
      latency_(stats.histogram(std::string(this->name()) + ".latency",
                               "DMA latency, issue of the first TLP to the last completion (1 Tick = 1 ps)", "Tick")) {
  SC_THREAD(engine);
}

Endpoint::TlpResult Endpoint::issue_tlp(Tick t, const DmaRequest& req, const TlpChunk& c, PcieAttr& attr) {
  TagPool& pool = req.write ? posted_ : tags_;
  const Tick ready = pool.acquire(t);
  tag_wait_ += ready - t;
  clock_.advance_to(ready);
  const Tick issued = std::max(ready, now_tick());

  if (req.msi)
    for (std::uint32_t i = 0; i < c.size; ++i) buffer_[i] = static_cast<unsigned char>(req.data >> (8 * i));
  else if (req.write)
    for (std::uint32_t i = 0; i < c.size; ++i) buffer_[i] = static_cast<unsigned char>(c.addr + i);
  tlm::tlm_generic_payload trans;
  trans.set_command(req.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans.set_address(c.addr);
  trans.set_data_ptr(buffer_.data());
  trans.set_data_length(c.size);
  trans.set_streaming_width(c.size);
  trans.set_byte_enable_ptr(nullptr);
  trans.set_dmi_allowed(false);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  attr.reset_outcome();
  trans.set_extension(&attr);

  sc_core::sc_time delay = to_sc_time(issued - now_tick());
  to_link->b_transport(trans, delay);
  trans.clear_extension(&attr);

  const Tick done = now_tick() + to_tick(delay);
  pool.occupy_until(done);
  ++(req.write ? write_tlps_ : read_tlps_);
  return {issued, done, trans.is_response_ok()};
}

void Endpoint::engine() {
  if (!source_) return;
  Tick cursor = 0;  // earliest time the engine can issue its next TLP
  DmaRequest req;
  while (source_->next(req)) {
    PcieAttr attr;
    attr.requester = p_.bdf;
    attr.has_pasid = req.has_pasid;
    attr.pasid = req.pasid;
    attr.priv = req.priv;
    attr.exec = req.exec;
    attr.at = req.translated ? AddressType::Translated : AddressType::Untranslated;

    Tick t = std::max(req.time, cursor);
    Tick first_issue = 0, last_done = 0;
    bool first = true, ok = true;
    std::uint8_t fault_reason = 0;
    std::optional<Addr> pa;
    std::uint32_t vector = 0, dest = 0;
    bool delivered = false;
    for (const TlpChunk& c : split_request(req.addr, req.size, req.write ? p_.mps : p_.mrrs)) {
      attr.tag = static_cast<std::uint16_t>(tags_.in_use() % p_.tags);
      const TlpResult r = issue_tlp(t, req, c, attr);
      if (first) {
        first_issue = r.issued;
        if (attr.reached_memory) pa = attr.memory_addr;
        first = false;
      }
      if (attr.interrupt_delivered) {
        delivered = true;
        vector = attr.vector;
        dest = attr.dest;
      }
      if (!r.ok) {
        ok = false;
        if (fault_reason == 0) fault_reason = attr.fault_reason;
      }
      last_done = std::max(last_done, r.done);
      t = r.issued + issue_gap_ps_;
    }
    cursor = t;

    ++dmas_;
    if (ok) bytes_ += req.size;
    else ++errors_;
    latency_.sample(last_done - first_issue);
    totals_.record(first_issue, last_done, req.size, ok);
    progress_.transaction_done();
    // (SystemC 2.3's SC_REPORT_INFO_VERB formats its message before it checks
    // the verbosity: check first, this is the per-DMA path.)
    if (sc_core::sc_report_handler::get_verbosity_level() >= sc_core::SC_DEBUG)
      SC_REPORT_INFO_VERB("/pcie/endpoint",
                        fmt::format("{} {} {:#x}+{} issued {} ps done {} ps{}", name(), req.write ? "dma_w" : "dma_r",
                                    req.addr, req.size, first_issue, last_done, ok ? "" : " (error)")
                            .c_str(),
                        sc_core::SC_DEBUG);

    if (txn_log_ && req.from_trace) {
      TxnLogRow row;
      row.seq = req.seq;
      row.issue = first_issue;
      row.done = last_done;
      row.source = p_.bdf.str();
      row.op = req.msi ? TraceOp::Msi : req.write ? TraceOp::DmaW : TraceOp::DmaR;
      row.addr = req.addr;
      row.size = req.size;
      if (req.has_pasid) row.pasid = req.pasid;
      row.status = ok ? TxnStatus::Ok : (fault_reason ? TxnStatus::Fault : TxnStatus::Error);
      row.pa = pa;
      if (fault_reason) row.fault_reason = fault_reason;
      if (delivered) {
        row.vector = vector;
        row.dest = dest;
      }
      txn_log_->add(std::move(row));
    }
  }
}

}  // namespace iommusim
