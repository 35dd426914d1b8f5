#include "pcie/endpoint.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "common/stats_group.h"
#include "mem/memory_outcome.h"
#include "pcie/tlp_split.h"

namespace iommusim {

Tick dma_copy_time(std::uint64_t bytes, double bytes_per_cycle, Tick period_ps) {
  if (bytes_per_cycle <= 0 || bytes == 0) return 0;
  const double ps = double(bytes) / bytes_per_cycle * double(period_ps);
  constexpr double kMax = double(Tick(1) << 62);
  return ps >= kMax ? Tick(1) << 62 : static_cast<Tick>(std::llround(ps));
}

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
  p.write_issue_cycles = static_cast<unsigned>(n.u64("write_issue_cycles", p.issue_cycles, 0, 1'000'000));
  p.write_bytes_per_cycle = static_cast<unsigned>(n.u64("write_bytes_per_cycle", 0, 0, 4096));
  p.request_latency_ps = n.time_ns("request_latency_ns", 0, 0, 1e6);
  p.completion_latency_ps = n.time_ns("completion_latency_ns", 0, 0, 1e6);
  p.copy_bytes_per_cycle = n.real("copy_bytes_per_cycle", 0, 0, 4096);
  p.link = LinkParams::from_config(n.child("link"), p.mps);
  if (n.has("devtlb")) {
    ConfigNode d = n.child("devtlb");
    p.has_devtlb = true;
    p.invalidation_latency_ps = d.time_ns("invalidation_latency_ns", double(p.invalidation_latency_ps) / 1000, 0, 1e9);
    p.answers_invalidations = d.boolean("answers_invalidations", p.answers_invalidations);
    p.invalid_completions = d.boolean("invalid_completions", p.invalid_completions);
    p.devtlb = IotlbParams::from_config(d);
  }
  p.acs = n.boolean("acs", p.acs);
  for (ConfigNode b : n.list("bars")) {
    EndpointParams::Bar bar;
    bar.size = b.pow2("size", 0x1000, 0x1000, std::uint64_t{1} << 40);
    bar.base = b.u64("base", 0);
    if (bar.base & (bar.size - 1))
      b.fail("base", fmt::format("expected a base aligned to the BAR size ({:#x}), got {:#x}", bar.size, bar.base));
    p.bars.push_back(bar);
  }
  return p;
}

Endpoint::Endpoint(sc_core::sc_module_name name, const EndpointParams& p, StatsRegistry& stats,
                   DmaTotals& totals, LocalClock clock, Progress& progress, TxnLog* txn_log)
    : sc_module(name),
      to_link("to_link"),
      from_link("from_link"),
      p_(p),
      totals_(totals),
      clock_(clock),
      progress_(progress),
      txn_log_(txn_log),
      tags_(p.tags),
      posted_(p.posted_credits),
      issue_gap_ps_(period_from_mhz(p.clock_mhz) * p.issue_cycles),
      write_issue_gap_ps_(period_from_mhz(p.clock_mhz) * p.write_issue_cycles),
      clock_period_ps_(period_from_mhz(p.clock_mhz)),
      buffer_(std::max(p.mps, p.mrrs)),
      stats_group_(stats, this->name()),
      dmas_(stats_group_.counter("dmas", "DMAs completed")),
      bytes_(stats_group_.counter("bytes", "Bytes moved by successful DMAs", "Byte")),
      read_tlps_(stats_group_.counter("read_tlps", "Memory read request TLPs issued")),
      write_tlps_(stats_group_.counter("write_tlps", "Memory write TLPs issued")),
      errors_(stats_group_.counter("errors", "DMAs completed with an error or fault")),
      tag_wait_(stats_group_.counter("tag_wait",
                              "Time TLPs waited for a free tag or posted credit", "Tick")),
      ats_requests_(stats_group_.counter("ats.translation_requests",
                                  "ATS translation requests sent (device-TLB misses and trace 'ats' records)")),
      ats_unsupported_(stats_group_.counter("ats.unsupported",
                                     "ATS translation requests answered Unsupported Request")),
      translated_tlps_(stats_group_.counter("ats.translated_tlps",
                                     "TLPs sent translated (AT = 10b) from the device TLB")),
      untranslated_fallbacks_(stats_group_.counter("ats.untranslated_fallbacks",
                                            "TLPs sent untranslated because the translation did not grant the access")),
      invalidations_(stats_group_.counter("ats.invalidations",
                                   "ATS invalidate requests received")),
      entries_invalidated_(stats_group_.counter("ats.entries_invalidated",
                                         "Device-TLB entries removed by invalidate requests")),
      bar_reads_(stats_group_.counter("bar_reads", "Reads of the device's BARs (host MMIO, peer DMA)")),
      bar_writes_(stats_group_.counter("bar_writes", "Writes to the device's BARs (host MMIO, peer DMA)")),
      latency_(stats_group_.histogram("latency",
                               "DMA latency, the engine issuing the first TLP to the DMA done (1 Tick = 1 ps)", "Tick")) {
  if (p.request_latency_ps || p.completion_latency_ps || p.copy_bytes_per_cycle > 0)
    link_latency_ = &stats_group_.histogram(
        "link_latency",
        "DMA latency at the link interface: the first TLP leaving to the last completion arriving, "
        "without the engine's request and completion latency and data copy (1 Tick = 1 ps)",
        "Tick");
  if (p.copy_bytes_per_cycle > 0)
    copy_time_ = &stats_group_.counter(
        "copy_time",
        "Total time the DMAs' data movers copied data between device memory and the PCIe interface "
        "(size / copy_bytes_per_cycle cycles per DMA, 1 Tick = 1 ps)",
        "Tick");
  if (p.has_devtlb) {
    devtlb_ = std::make_unique<Iotlb>(p.devtlb, 0x5eed0000u ^ p.bdf.rid());
    devtlb_lookup_ps_ = period_from_mhz(p.clock_mhz) * p.devtlb.latency_cycles();
    const StatsGroup devtlb = stats_group_.group("devtlb");
    devtlb.formula("hits", "Device-TLB hits", "Count", [this] { return double(devtlb_->hits()); });
    devtlb.formula("misses", "Device-TLB misses", "Count", [this] { return double(devtlb_->misses()); });
  }
  from_link.register_b_transport(this, &Endpoint::downstream);
  SC_THREAD(engine);
}

Endpoint::AtsResult Endpoint::ats_request(Tick t, Addr addr, PcieAttr attr) {
  ++ats_requests_;
  const Tick ready = tags_.acquire(t);
  tag_wait_ += ready - t;
  clock_.advance_to(ready);
  const Tick issued = std::max(ready, now_tick());
  unsigned char data[8] = {};
  const PayloadPool::Handle payload = payloads_.acquire();
  tlm::tlm_generic_payload& trans = *payload;
  trans.set_command(tlm::TLM_READ_COMMAND);
  trans.set_address(addr & ~Addr(0xfff));
  trans.set_data_ptr(data);
  trans.set_data_length(8);
  trans.set_streaming_width(8);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  attr.at = AddressType::TranslationRequest;
  attr.reset_outcome();
  trans.set_extension(&attr);
  sc_core::sc_time delay = to_sc_time(issued - now_tick());
  to_link->b_transport(trans, delay);
  trans.clear_extension(&attr);
  const Tick done = now_tick() + to_tick(delay);
  tags_.occupy_until(done);
  AtsResult r{issued, done, trans.is_response_ok(), {}, attr.fault_reason};
  if (r.ok) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | data[i];
    r.c = AtsCompletion::decode(v);
  } else {
    ++ats_unsupported_;
  }
  return r;
}

IotlbEntry Endpoint::devtlb_entry(const AtsCompletion& c, Addr addr) {
  // The IOMMU answers with 4 KiB, 2 MiB or 1 GiB pages; any other range is
  // cached as the 4 KiB page of `addr` inside it.
  const unsigned shift = (c.shift == 21 || c.shift == 30) ? c.shift : 12;
  const Addr range_mask = c.shift >= 64 ? ~Addr(0) : (Addr(1) << c.shift) - 1;
  const Addr frame = shift == c.shift ? c.addr : c.addr + ((addr & ~Addr(0xfff)) & range_mask);
  return IotlbEntry{frame & ~((Addr(1) << shift) - 1), static_cast<std::uint8_t>(shift), c.r, c.w};
}

Tick Endpoint::translate_tlp(Tick t, bool write, TlpChunk& c, PcieAttr& attr, std::optional<Tick>& ats_issued) {
  // The lookup sees the device TLB as it is at time t (invalidations that
  // arrived before then included): catch up with t first.
  clock_.advance_to(t);
  t += devtlb_lookup_ps_;
  Tick ready = 0;
  IotlbEntry e;
  bool have = false;
  if (const IotlbEntry* hit = devtlb_->lookup(0, c.addr, &ready)) {
    e = *hit;
    have = true;
    t = std::max(t, ready);
  } else {
    const AtsResult r = ats_request(t, c.addr, attr);
    ats_issued = r.issued;
    t = r.done;
    if (r.ok && (r.c.r || r.c.w) && !r.c.u) {
      e = devtlb_entry(r.c, c.addr);
      devtlb_->insert(0, c.addr, e, t);
      have = true;
    }
  }
  if (have && (write ? e.w : e.r)) {
    ++translated_tlps_;
    c.addr = e.frame | (c.addr & ((Addr(1) << e.shift) - 1));
    attr.at = AddressType::Translated;
  } else {
    ++untranslated_fallbacks_;
    attr.at = AddressType::Untranslated;
  }
  return t;
}

void Endpoint::downstream(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const PcieAttr* attr = trans.get_extension<PcieAttr>();
  if (attr && attr->ats_invalidate) return ats_invalidate(trans, delay);
  bar_access(trans, delay);
}

void Endpoint::bar_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  (void)delay;  // the device answers at once; the link times the TLPs
  const Addr a = trans.get_address();
  const std::uint64_t len = trans.get_data_length();
  for (const EndpointParams::Bar& b : p_.bars) {
    if (a < b.base || a - b.base >= b.size || len > b.size - (a - b.base)) continue;
    if (trans.is_read()) {
      ++bar_reads_;
      bar_bytes_.read(a, trans.get_data_ptr(), len);
    } else {
      ++bar_writes_;
      bar_bytes_.write(a, trans.get_data_ptr(), len);
    }
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);  // Unsupported Request
}

void Endpoint::ats_invalidate(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  ++invalidations_;
  if (devtlb_) {
    const AtsRange range = decode_ats_invalidate(trans.get_address());
    entries_invalidated_ += range.shift >= 64 ? devtlb_->invalidate_global()
                                              : devtlb_->invalidate_pages(0, range.base, range.shift - 12);
    if (!p_.answers_invalidations) {
      trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);  // no completion, ever
      return;
    }
    if (p_.invalid_completions) {
      delay += to_sc_time(p_.invalidation_latency_ps);
      trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);  // a completion the unit cannot match
      return;
    }
    delay += to_sc_time(p_.invalidation_latency_ps);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

Tick Endpoint::write_gap(std::uint32_t bytes) const {
  if (p_.write_bytes_per_cycle == 0) return write_issue_gap_ps_;
  const std::uint64_t data_cycles = (bytes + p_.write_bytes_per_cycle - 1) / p_.write_bytes_per_cycle;
  return write_issue_gap_ps_ + period_from_mhz(p_.clock_mhz) * data_cycles;
}

Endpoint::TlpResult Endpoint::issue_tlp(Tick t, const DmaRequest& req, const TlpChunk& c, PcieAttr& attr,
                                        Tick data_ready) {
  SlotPool& pool = req.write ? posted_ : tags_;
  // The TLP is at the link interface after its data is fetched (a write with
  // a data mover) and the request pipeline, in order behind the engine's
  // previous TLP and at least that one's issue gap after it, and takes its tag
  // or credit there. (Without a data mover the order bound never binds: the
  // engine's own gap already keeps its TLPs that far apart.)
  const Tick at_link = std::max(std::max(t, data_ready) + p_.request_latency_ps, next_departure_);
  const Tick ready = pool.acquire(at_link);
  tag_wait_ += ready - at_link;
  clock_.advance_to(ready);
  const Tick issued = std::max(ready, now_tick());
  next_departure_ = issued + (req.write ? write_gap(c.size) : issue_gap_ps_);

  if (req.msi)
    for (std::uint32_t i = 0; i < c.size; ++i) buffer_[i] = static_cast<unsigned char>(req.data >> (8 * i));
  else if (req.write)
    for (std::uint32_t i = 0; i < c.size; ++i) buffer_[i] = static_cast<unsigned char>(c.addr + i);
  const PayloadPool::Handle payload = payloads_.acquire();
  tlm::tlm_generic_payload& trans = *payload;
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
  MemoryOutcome memory;
  trans.set_extension(&memory);

  sc_core::sc_time delay = to_sc_time(issued - now_tick());
  to_link->b_transport(trans, delay);
  trans.clear_extension(&attr);
  trans.clear_extension(&memory);

  const Tick done = now_tick() + to_tick(delay);
  // A tag is held until the completion is back at the link interface. A
  // posted credit until the write was performed, or, when the root complex's
  // inbound buffer returned it, until that UpdateFC has crossed the link.
  pool.occupy_until(req.write && attr.credit_return != 0 ? attr.credit_return + p_.link.timing.latency_ps : done);
  ++(req.write ? write_tlps_ : read_tlps_);
  // The engine stalls for the time the TLP waited for its tag or credit, not
  // for its data or for an earlier TLP (without a data mover: issued less the
  // request latency).
  TlpResult r{t + (issued - at_link), issued, done, trans.is_response_ok(), std::nullopt};
  if (memory.reached) r.memory_addr = memory.addr;
  return r;
}

void Endpoint::engine() {
  if (!source_) return;
  Tick origin = 0;  // request times count from here
  if (gate_) {
    gate_->wait_open();
    origin = gate_->opened_at();
  }
  Tick cursor = origin;  // earliest time the engine can issue its next TLP
  DmaRequest req;
  // A source that maps through the host driver may wait for it in next() and
  // tells it about completions: the engine is at its own time for both (the
  // clock's lookahead, common/local_clock.h).
  const bool host_coupled = source_->packet_buffers() != nullptr;
  for (;;) {
    if (host_coupled) clock_.sync();
    if (!source_->next(req)) break;
    req.time += origin;
    if (req.msi && !msi_map_.empty()) {
      auto it = msi_map_.find({req.addr, req.data});
      if (it != msi_map_.end()) std::tie(req.addr, req.data) = it->second;
    }
    PcieAttr attr;
    attr.requester = p_.bdf;
    attr.has_pasid = req.has_pasid;
    attr.pasid = req.pasid;
    attr.priv = req.priv;
    attr.exec = req.exec;
    attr.at = req.translated ? AddressType::Translated : AddressType::Untranslated;

    Tick t = std::max(req.time, cursor);
    Tick first_issue = 0, first_at_link = 0, last_done = 0;
    bool first = true, ok = true;
    std::uint8_t fault_reason = 0;
    std::optional<Addr> pa;
    std::uint32_t vector = 0, dest = 0;
    bool delivered = false;
    if (req.ats) {
      // Translation requests for each page of the range (a trace 'ats'
      // record); completions fill the device TLB.
      Addr page = req.addr & ~Addr(0xfff);
      const Addr end = req.addr + std::max<std::uint64_t>(req.size, 1);
      while (page < end) {
        const AtsResult r = ats_request(t, page, attr);
        if (first) {
          first_issue = r.issued;
          first = false;
          if (r.ok && (r.c.r || r.c.w)) pa = r.c.addr | (req.addr & ((Addr(1) << std::min(r.c.shift, 63u)) - 1));
        }
        last_done = std::max(last_done, r.done);
        Addr next = page + 0x1000;
        if (!r.ok) {
          ok = false;
          if (fault_reason == 0) fault_reason = r.fault;
        } else if ((r.c.r || r.c.w) && devtlb_) {
          const IotlbEntry e = devtlb_entry(r.c, page);
          devtlb_->insert(0, page, e, r.done);
          if (e.shift > 12) next = (page | ((Addr(1) << e.shift) - 1)) + 1;
        }
        page = next;
        t = r.issued + issue_gap_ps_;
      }
    }
    // The data mover (store-and-forward, one per DMA): a write's data is
    // fetched from device memory, from when the engine takes the DMA, before
    // its TLPs go out; a read's is copied after its last completion.
    // Interrupt messages carry their data in the descriptor: no copy.
    const Tick copy = (req.ats || req.msi) ? 0 : dma_copy_time(req.size, p_.copy_bytes_per_cycle, clock_period_ps_);
    const Tick data_ready = (req.write && copy) ? t + copy : 0;
    if (copy_time_) *copy_time_ += copy;
    // (An ATS-only request sends no TLP of its own.)
    TlpSplitter chunks(req.addr, req.ats ? 0 : req.size, req.write ? p_.mps : p_.mrrs);
    for (TlpChunk c; chunks.next(c);) {
      attr.at = req.translated ? AddressType::Translated : AddressType::Untranslated;
      std::optional<Tick> ats_issued;  // a translation request's issue time (device-TLB miss)
      if (devtlb_ && !req.translated && !req.msi) t = translate_tlp(t, req.write, c, attr, ats_issued);
      attr.tag = static_cast<std::uint16_t>(tags_.in_use() % p_.tags);
      const TlpResult r = issue_tlp(t, req, c, attr, data_ready);
      if (first) {
        // A DMA starts with its first TLP, or with the translation request
        // that TLP needed.
        first_issue = ats_issued ? *ats_issued : r.engine;
        first_at_link = ats_issued ? *ats_issued : r.issued;
        if (r.memory_addr) pa = *r.memory_addr;
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
      t = r.engine + (req.write ? write_gap(c.size) : issue_gap_ps_);
    }
    cursor = t;
    if (link_latency_) link_latency_->sample(last_done - (req.ats ? first_issue : first_at_link));
    // A read is done when its data has passed the completion pipeline and
    // then been copied to device memory; a posted write (no completion) when
    // memory performed it, as without them.
    if (!req.write && !req.ats) last_done += p_.completion_latency_ps + copy;

    ++dmas_;
    if (ok) bytes_ += req.size;
    else ++errors_;
    latency_.sample(last_done - first_issue);
    totals_.record(first_issue, last_done, req.size, ok);
    if (host_coupled) clock_.sync();
    source_->completed(req, first_issue, last_done, ok);
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
      row.op = req.ats ? TraceOp::Ats : req.msi ? TraceOp::Msi : req.write ? TraceOp::DmaW : TraceOp::DmaR;
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
  clock_.sync();  // the run ends where the reference's would
}

}  // namespace iommusim
