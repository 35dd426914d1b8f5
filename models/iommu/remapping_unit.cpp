#include "iommu/remapping_unit.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/sc_time_conv.h"
#include "vtd/ats_completion.h"
#include "iommu/context_lookup.h"
#include "iommu/fl_walker.h"
#include "iommu/sm_lookup.h"
#include "vtd/registers.h"
#include "vtd/sl_pte.h"
#include "iommu/sl_walker.h"
#include "iommu/timed_table_reader.h"
#include "iommu/walk_cosim.h"

namespace iommusim {

namespace {

// The RTL walker's memory in `rtl` mode: reads through the unit's socket at
// the times the RTL's clock edges hand them over.
template <class Reader>
class UnitTimedMemory : public TimedMemory {
 public:
  explicit UnitTimedMemory(Reader& r) : r_(r) {}
  bool read(Tick at, Addr pa, std::uint64_t& value, Tick& done) override {
    r_.wait_until(at);
    const bool ok = r_.try_read_qword(pa, value);
    done = r_.time();
    return ok;
  }

 private:
  Reader& r_;
};

// Untimed reads through a socket's debug transport (the RTL's reads in `both`
// mode that the TLM walk did not make).
template <class Socket>
class DebugTableReader : public TableReader {
 public:
  explicit DebugTableReader(Socket& s) : s_(s) {}
  std::uint64_t read_qword(Addr pa) override {
    std::uint64_t v = 0;
    try_read_qword(pa, v);
    return v;
  }
  bool try_read_qword(Addr pa, std::uint64_t& value) override {
    unsigned char buf[8] = {};
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(pa);
    t.set_data_ptr(buf);
    t.set_data_length(8);
    t.set_streaming_width(8);
    const unsigned n = s_->transport_dbg(t);
    value = 0;
    for (int b = 7; b >= 0; --b) value = (value << 8) | buf[b];
    return n == 8;
  }

 private:
  Socket& s_;
};

std::uint64_t cycles_up(Tick span, Tick cycle) { return cycle ? (span + cycle - 1) / cycle : 0; }

unsigned log2_exact(std::uint64_t v) {
  unsigned s = 0;
  while ((std::uint64_t(1) << s) < v) ++s;
  return s;
}

}  // namespace

RemappingUnit::RemappingUnit(sc_core::sc_module_name name, const RemappingUnitParams& p, StatsRegistry& stats,
                             std::uint64_t seed)
    : sc_module(name),
      regs("regs"),
      dma_in("dma_in"),
      dma_out("dma_out"),
      mem("mem"),
      msi_in("msi_in"),
      irq_out("irq_out"),
      ats_out("ats_out"),
      p_(p),
      stats_(stats),
      cycle_ps_(period_from_mhz(p.clock_mhz)),
      regfile_(p.features),
      cc_(p.context_cache, seed),
      pasid_cache_(p.pasid_cache, seed + 8),
      iec_(p.iec, seed + 64),
      iotlb_(p.iotlb, seed + 16),
      psc_(p.psc, seed + 32),
      fl_psc_(p.fl_psc, seed + 48),
      walkers_(p.walker_slots),
#define IOMMU_COUNTER(leaf, desc) stats.counter(std::string(this->name()) + "." leaf, desc)
      translations_(IOMMU_COUNTER("translations", "Requests translated (translation enabled)")),
      bypassed_(IOMMU_COUNTER("bypassed", "Requests forwarded untranslated because translation is disabled")),
      passthrough_(IOMMU_COUNTER("passthrough", "Requests forwarded untranslated by a pass-through context (TT=10b)")),
      faults_(IOMMU_COUNTER("faults", "Requests blocked by a translation fault")),
      faults_recorded_(IOMMU_COUNTER("faults_recorded", "Faults passed to primary fault logging (not suppressed by FPD)")),
      faults_suppressed_(IOMMU_COUNTER("faults_suppressed", "Qualified faults not recorded because the context entry has FPD=1")),
      fault_events_(IOMMU_COUNTER("fault_events", "Fault event interrupts generated (FEDATA to FEADDR)")),
      cc_hits_(IOMMU_COUNTER("context_cache_hits", "Context-cache hits")),
      cc_misses_(IOMMU_COUNTER("context_cache_misses", "Context-cache misses")),
      pasid_hits_(IOMMU_COUNTER("pasid_cache_hits", "Scalable mode: PASID-entry cache hits")),
      pasid_misses_(IOMMU_COUNTER("pasid_cache_misses", "Scalable mode: PASID-entry cache misses (table lookups)")),
      fl_walks_(IOMMU_COUNTER("fl_walks", "Scalable mode: first-level (and nested) walks")),
      fl_psc_hits_(IOMMU_COUNTER("fl_psc_hits", "First-level walks resumed from a first-level paging-structure cache")),
      iotlb_hits_(IOMMU_COUNTER("iotlb_hits", "IOTLB hits")),
      iotlb_misses_(IOMMU_COUNTER("iotlb_misses", "IOTLB misses")),
      psc_hits_(IOMMU_COUNTER("psc_hits", "Paging-structure-cache hits (a walk resumed below the top)")),
      psc_misses_(IOMMU_COUNTER("psc_misses", "Paging-structure-cache misses (a walk from the top)")),
      context_walks_(IOMMU_COUNTER("context_walks", "Root and context table lookups")),
      walks_(IOMMU_COUNTER("walks", "Page walks (second-level, first-level and nested)")),
      walk_reads_(IOMMU_COUNTER("walk_reads", "Table entries read from memory (context lookups and walks)")),
      walker_wait_(IOMMU_COUNTER("walker_wait", "Time table lookups waited for a free walker slot (1 Tick = 1 ps)")),
      cc_invalidations_(IOMMU_COUNTER("context_invalidations", "Context-cache invalidation commands")),
      iotlb_invalidations_(IOMMU_COUNTER("iotlb_invalidations", "IOTLB invalidation commands")),
      entries_invalidated_(IOMMU_COUNTER("entries_invalidated", "Cache entries removed by invalidations")),
      register_invalidations_refused_(IOMMU_COUNTER(
          "register_invalidations_refused", "CCMD/IOTLB register requests not carried out because QI is enabled")),
      qi_descriptors_(IOMMU_COUNTER("qi_descriptors", "Invalidation-queue descriptors processed")),
      qi_errors_(IOMMU_COUNTER("qi_errors", "Invalidation-queue errors (IQE)")),
      qi_waits_(IOMMU_COUNTER("qi_waits", "Invalidation wait descriptors processed")),
      devtlb_invalidations_(IOMMU_COUNTER("devtlb_invalidations", "Device-TLB invalidation descriptors (ATS invalidate requests sent)")),
      devtlb_timeouts_(IOMMU_COUNTER("devtlb_timeouts", "Device-TLB invalidations that timed out (FSTS.ITE)")),
      devtlb_completion_errors_(IOMMU_COUNTER("devtlb_completion_errors", "Device-TLB invalidations answered with an error (FSTS.ICE)")),
      invalidation_events_(IOMMU_COUNTER("invalidation_events", "Invalidation completion interrupts generated (IEDATA to IEADDR)")),
      msis_forwarded_(IOMMU_COUNTER("msis_forwarded", "Device interrupt messages passed on unremapped (IRES = 0)")),
      pmr_blocked_(IOMMU_COUNTER("pmr_blocked", "DMA blocked by a protected memory region (PMEN.EPM)")),
      ats_requests_(IOMMU_COUNTER("ats.translation_requests", "ATS translation requests (PCIe AT = 01b)")),
      ats_ur_(IOMMU_COUNTER("ats.unsupported", "ATS translation requests answered Unsupported Request (a fault was found)")),
      ats_no_access_(IOMMU_COUNTER("ats.no_access", "ATS translation completions granting no access (R = W = 0)")),
#undef IOMMU_COUNTER
      reads_per_walk_(stats.average(std::string(this->name()) + ".reads_per_walk",
                                    "Table entries read per page walk (any kind)")),
      latency_(stats.histogram(std::string(this->name()) + ".translation_latency",
                               "Translation latency of translated requests, arrival to forward or fault (1 Tick = 1 ps)",
                               "Tick")),
      walk_latency_(stats.histogram(std::string(this->name()) + ".walk_latency",
                                    "Page-walk latency (any kind), slot acquired to last entry read (1 Tick = 1 ps)",
                                    "Tick")) {
  const std::string n = this->name();
  ir_.requests = &stats.counter(n + ".ir.requests", "Interrupt requests processed with interrupt remapping on (IRES = 1)");
  ir_.remapped = &stats.counter(n + ".ir.remapped", "Interrupt requests remapped through a remapped-format IRTE");
  ir_.posted = &stats.counter(n + ".ir.posted", "Interrupt requests posted through a posted-format IRTE");
  ir_.compat_passed = &stats.counter(n + ".ir.compat_passed", "Compatibility-format interrupts passed on (CFIS = 1)");
  ir_.blocked = &stats.counter(n + ".ir.blocked", "Interrupt requests blocked by an interrupt-remapping fault");
  ir_.faults_recorded = &stats.counter(n + ".ir.faults_recorded", "Interrupt-remapping faults recorded (not suppressed by the IRTE's FPD)");
  ir_.faults_suppressed = &stats.counter(n + ".ir.faults_suppressed", "Qualified interrupt-remapping faults not recorded because the IRTE has FPD = 1");
  ir_.iec_hits = &stats.counter(n + ".ir.iec_hits", "Interrupt entry cache hits");
  ir_.iec_misses = &stats.counter(n + ".ir.iec_misses", "Interrupt entry cache misses (IRTE read from memory)");
  ir_.irte_reads = &stats.counter(n + ".ir.irte_reads", "IRTEs read from the interrupt remapping table");
  ir_.iec_invalidations = &stats.counter(n + ".ir.iec_invalidations", "Interrupt entry cache invalidations (IEC descriptors, SIRTP with ESIRTPS)");
  ir_.notifications = &stats.counter(n + ".ir.notifications", "Posted interrupts: notification events sent (NV to NDST)");
  ir_.pid_accesses = &stats.counter(n + ".ir.pid_updates", "Posted interrupts: descriptor read-modify-writes");
  ir_.latency = &stats.histogram(n + ".ir.latency", "Interrupt remapping latency, arrival to delivery or fault (1 Tick = 1 ps)", "Tick");
  stats.formula(n + ".iotlb_hit_rate", "IOTLB hits per lookup", "Ratio", [this] {
    const double total = double(iotlb_hits_.value() + iotlb_misses_.value());
    return total == 0 ? 0.0 : double(iotlb_hits_.value()) / total;
  });
  for (unsigned i = 0; i < 3; ++i) {
    const char* size = i == 0 ? "4k" : i == 1 ? "2m" : "1g";
    iotlb_size_hits_[i] = &stats.counter(fmt::format("{}.iotlb_hits_{}", n, size),
                                         fmt::format("IOTLB hits on {} pages", size));
  }
  for (unsigned l = PagingStructureCache::kMinLevel; l <= PagingStructureCache::kMaxLevel; ++l)
    stats.formula(fmt::format("{}.psc_hits_l{}", n, l),
                  fmt::format("Walks resumed from the level-{} paging-structure cache", l), "Count",
                  [this, l] { return double(psc_.hits(l)); });
  if (p.walker != WalkerKind::Tlm) {
    rtl_ = make_rtl_sl_walker();
    if (!rtl_) throw InputError(fmt::format("{}: walker {}: this build has no RTL walker", n, walker_kind_name(p.walker)));
    rtl_stats_.walks = &stats.counter(n + ".rtl_walker.walks", "Second-level walks run on the RTL walker");
    rtl_stats_.clock_cycles = &stats.histogram(n + ".rtl_walker.clock_cycles",
                                               "RTL walker clock cycles per walk, request accepted to result taken "
                                               "(the clock stops while a read is at the memory)",
                                               "Cycle");
    stats.formula(n + ".rtl_walker.vcd_shifted_walks",
                  "Walks drawn later in the waveform than their simulated time (they overlapped an earlier walk)",
                  "Count", [this] { return rtl_ ? double(rtl_->shifted_walks()) : 0.0; });
  }
  if (p.walker == WalkerKind::Both) {
    cosim_.walks = &stats.counter(n + ".cosim.walks", "Second-level walks run on both the TLM and the RTL walker");
    cosim_.mismatches = &stats.counter(n + ".cosim.mismatches", "Walks whose TLM and RTL results differ");
    for (unsigned b = 0; b < kCosimFieldCount; ++b)
      cosim_.field[b] = &stats.counter(fmt::format("{}.cosim.mismatch_{}", n, cosim_field_name(b)),
                                       fmt::format("Mismatching walks that differ in {}", cosim_field_name(b)));
    cosim_.tlm_cycles = &stats.histogram(n + ".cosim.tlm_cycles",
                                         "TLM walk time in unit cycles (rounded up), slot acquired to last read", "Cycle");
    cosim_.rtl_cycles = &stats.histogram(
        n + ".cosim.rtl_cycles", "RTL walk time in unit cycles (rounded up): clock cycles plus memory latencies", "Cycle");
    cosim_.cycle_diff = &stats.histogram(n + ".cosim.cycle_diff",
                                         "RTL walk time minus TLM walk time, in unit cycles (rounded up)", "Cycle");
    cosim_.rtl_faster = &stats.counter(n + ".cosim.rtl_faster", "Walks the RTL finished before the TLM walker (not in cycle_diff)");
  }
  regs.register_b_transport(this, &RemappingUnit::reg_access);
  SC_THREAD(qi_engine);
  dma_in.register_b_transport(this, &RemappingUnit::dma);
  msi_in.register_b_transport(this, &RemappingUnit::msi);
}

// ---------------------------------------------------------------- registers

void RemappingUnit::reg_access(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  delay += to_sc_time(cycle_ps_ * p_.reg_cycles);
  const std::uint64_t offset = trans.get_address() - p_.reg_base;
  const unsigned len = trans.get_data_length();
  unsigned char* data = trans.get_data_ptr();
  if ((len != 4 && len != 8) || trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  RegisterFile::Access a = RegisterFile::Access::Error;
  if (trans.is_read()) {
    std::uint64_t v = 0;
    a = regfile_.read(offset, len, v);
    for (unsigned i = 0; i < len; ++i) data[i] = static_cast<unsigned char>(v >> (8 * i));
  } else if (trans.is_write()) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < len; ++i) v |= std::uint64_t(data[i]) << (8 * i);
    a = regfile_.write(offset, len, v);
    execute_commands(delay);
    if (regfile_.take_fault_event()) fault_event();
    if (regfile_.take_invalidation_event()) invalidation_event();
    // A queue stopped by an error resumes once software has cleared IQE.
    if (regfile_.queued_invalidation_enabled()) qi_kick_.notify(delay);
  }
  trans.set_response_status(a == RegisterFile::Access::Ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

void RemappingUnit::execute_commands(const sc_core::sc_time& at) {
  for (const Command& c : regfile_.take_commands()) {
    switch (c.kind) {
      case Command::Kind::SetTranslation:
        regfile_.complete_te(c.enable);
        break;
      case Command::Kind::SetRootTablePointer:
        regfile_.complete_srtp();
        if (p_.features.esrtps) {
          // CAP.ESRTPS (11.4.4.1 GCMD.SRTP): the set operation also
          // invalidates every cache of translation structures.
          invalidate_context(ContextGranularity::Global, 0, 0, 0);
          invalidate_iotlb(IotlbGranularity::Global, 0, 0, 0, false);
        }
        break;
      case Command::Kind::WriteBufferFlush:
        regfile_.complete_wbf();
        break;
      case Command::Kind::ContextInvalidate:
        if (regfile_.queued_invalidation_enabled()) {
          // With queued invalidation on, software must use the queue (VT-d
          // 6.5.2): the register request is not carried out (CAIG 00).
          ++register_invalidations_refused_;
          regfile_.complete_ccmd(ContextGranularity::Reserved);
          break;
        }
        invalidate_context(c.context.granularity, c.context.did, c.context.sid, c.context.fm);
        regfile_.complete_ccmd(c.context.granularity);
        break;
      case Command::Kind::IotlbInvalidate:
        if (regfile_.queued_invalidation_enabled()) {
          ++register_invalidations_refused_;
          regfile_.complete_iotlb(IotlbGranularity::Reserved);
          break;
        }
        invalidate_iotlb(c.iotlb.granularity, c.iotlb.did, c.iotlb.addr, c.iotlb.am, c.iotlb.ih);
        regfile_.complete_iotlb(c.iotlb.granularity);
        break;
      case Command::Kind::SetQueuedInvalidation:
        regfile_.complete_qie(c.enable);
        if (c.enable) qi_kick_.notify(at);
        break;
      case Command::Kind::QueueTail:
        qi_kick_.notify(at);
        break;
      case Command::Kind::SetInterruptRemapping:
        regfile_.complete_ire(c.enable);
        break;
      case Command::Kind::SetInterruptRemapTable:
        regfile_.complete_sirtp();
        if (p_.features.esirtps) {
          // CAP.ESIRTPS (11.4.4.1 GCMD.SIRTP): the set operation also
          // invalidates the interrupt entry cache; without it software
          // follows SIRTP with a global IEC invalidation.
          ++*ir_.iec_invalidations;
          entries_invalidated_ += iec_.invalidate_global();
        }
        break;
      case Command::Kind::SetCompatibilityFormat:
        regfile_.complete_cfi(c.enable);
        break;
    }
  }
}

std::size_t RemappingUnit::invalidate_context(ContextGranularity g, std::uint16_t did, std::uint16_t sid,
                                              unsigned fm) {
  ++cc_invalidations_;
  std::size_t examined = 0, removed = 0;
  switch (g) {
    // (The PASID-entry cache follows the context cache for these scopes;
    // PASID-granular invalidation uses the PASID-cache descriptor.)
    case ContextGranularity::Global:
      removed = cc_.invalidate_global(&examined) + pasid_cache_.invalidate_global();
      break;
    case ContextGranularity::Domain:
      removed = cc_.invalidate_domain(did, &examined) + pasid_cache_.invalidate_domain(did);
      break;
    case ContextGranularity::Device:
      removed = cc_.invalidate_device(sid, fm, &examined) + pasid_cache_.invalidate_device(sid, fm);
      break;
    case ContextGranularity::Reserved:
      break;
  }
  entries_invalidated_ += removed;
  return examined;
}

std::size_t RemappingUnit::invalidate_iotlb(IotlbGranularity g, std::uint16_t did, Addr addr, unsigned am, bool ih) {
  ++iotlb_invalidations_;
  std::size_t removed = 0, examined = 0, e1 = 0, e2 = 0, e3 = 0;
  switch (g) {
    case IotlbGranularity::Global:
      removed = iotlb_.invalidate_global(&e1) + psc_.invalidate_global(&e2) + fl_psc_.invalidate_global(&e3);
      break;
    case IotlbGranularity::Domain:
      removed = iotlb_.invalidate_domain(did, &e1) + psc_.invalidate_domain(did, &e2) +
                fl_psc_.invalidate_domain(did, &e3);
      break;
    case IotlbGranularity::Page:
      removed = iotlb_.invalidate_pages(did, addr, am, &e1);
      if (!ih) removed += psc_.invalidate_pages(did, addr, am, &e2) + fl_psc_.invalidate_pages(did, addr, am, &e3);
      break;
    case IotlbGranularity::Reserved:
      break;
  }
  examined = e1 + e2 + e3;
  entries_invalidated_ += removed;
  return examined;
}

Tick RemappingUnit::send_interrupt(const MsiMessage& m, const sc_core::sc_time& delay, PcieAttr* attr) {
  unsigned char data[4];
  for (int i = 0; i < 4; ++i) data[i] = static_cast<unsigned char>(m.data >> (8 * i));
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(m.address);
  t.set_data_ptr(data);
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (attr) t.set_extension(attr);
  sc_core::sc_time d = delay;
  irq_out->b_transport(t, d);
  if (attr) t.clear_extension(attr);
  return now_tick() + to_tick(d);
}

void RemappingUnit::fault_event(const sc_core::sc_time& at) {
  ++fault_events_;
  const MsiMessage m = regfile_.fault_event_message();
  send_interrupt(m, at);
  SC_REPORT_INFO_VERB("/iommu/fault",
                      fmt::format("{}: fault event: data {:#x} to {:#x}", name(), m.data, m.address).c_str(),
                      sc_core::SC_MEDIUM);
}

// ---------------------------------------------------------------- translation

RemappingUnit::ScopeStats& RemappingUnit::domain_stats(std::uint16_t did) {
  auto it = domains_.find(did);
  if (it != domains_.end()) return it->second;
  const std::string n = fmt::format("{}.domain_{}", name(), did);
  ScopeStats s{&stats_.counter(n + ".translations", "Requests of this domain translated"),
               &stats_.counter(n + ".faults", "Requests of this domain that faulted"),
               &stats_.counter(n + ".iotlb_misses", "IOTLB misses of this domain")};
  return domains_.emplace(did, s).first->second;
}

RemappingUnit::ScopeStats& RemappingUnit::device_stats(std::uint16_t sid) {
  auto it = devices_.find(sid);
  if (it != devices_.end()) return it->second;
  const std::string n = fmt::format("{}.device_{:02x}_{:02x}_{:x}", name(), sid >> 8, (sid >> 3) & 0x1f, sid & 7);
  ScopeStats s{&stats_.counter(n + ".translations", "Requests of this device translated"),
               &stats_.counter(n + ".faults", "Requests of this device that faulted"),
               &stats_.counter(n + ".iotlb_misses", "IOTLB misses of this device")};
  return devices_.emplace(sid, s).first->second;
}

Counter& RemappingUnit::reason_counter(FaultReason r) {
  const auto code = static_cast<std::uint8_t>(r);
  auto it = reasons_.find(code);
  if (it != reasons_.end()) return *it->second;
  Counter& c = stats_.counter(fmt::format("{}.faults_reason_{:02x}", name(), code),
                              fmt::format("Faults with reason {:#x}: {}", code, fault_reason_text(r)));
  reasons_.emplace(code, &c);
  return c;
}

RemappingUnit::WalkReader RemappingUnit::begin_walk(Tick t) {
  const Tick start = walkers_.acquire(t);
  walker_wait_ += start - t;
  return WalkReader(mem, start);
}

Tick RemappingUnit::end_walk(const WalkReader& reader) {
  walkers_.occupy_until(reader.time());
  walk_reads_ += reader.reads();
  return reader.time();
}

SlWalkParams RemappingUnit::sl_params(Addr table, unsigned levels) const {
  SlWalkParams wp;
  wp.table = table;
  wp.levels = levels;
  wp.haw = p_.features.haw;
  wp.sp_2m = p_.features.sp_2m;
  wp.sp_1g = p_.features.sp_1g;
  wp.mgaw = p_.features.mgaw;
  wp.sc = p_.features.sc;
  wp.dt = p_.features.dt;
  return wp;
}

SlWalkResult RemappingUnit::sl_walk(WalkReader& reader, const SlWalkParams& wp, const SlWalkRequest& rq) {
  if (p_.walker == WalkerKind::Tlm || !rtl_)
    return walk_second_level(reader, wp, rq.iova, rq.write, rq.read, rq.start_level, rq.start_table, rq.start_r,
                             rq.start_w);
  const Tick start = reader.time();
  if (p_.walker == WalkerKind::Rtl) {
    UnitTimedMemory<WalkReader> m(reader);
    RtlWalkOutcome o = rtl_->walk(m, start, cycle_ps_, wp, rq);
    reader.wait_until(o.end);
    ++*rtl_stats_.walks;
    rtl_stats_.clock_cycles->sample(o.cycles);
    return std::move(o.result);
  }
  // Both: the TLM walk decides; the RTL walks the same request against a
  // replay of the TLM walk's reads (same data, same latencies, no traffic).
  RecordingReader rec(reader, [&reader] { return std::max(reader.time(), now_tick()); });
  SlWalkResult w = walk_second_level(rec, wp, rq.iova, rq.write, rq.read, rq.start_level, rq.start_table, rq.start_r,
                                     rq.start_w);
  const Tick tlm_end = reader.time();
  DebugTableReader<tlm_utils::simple_initiator_socket<RemappingUnit>> dbg(mem);
  ReplayMemory replay(rec.log(), dbg);
  const RtlWalkOutcome o = rtl_->walk(replay, start, cycle_ps_, wp, rq);
  ++*rtl_stats_.walks;
  rtl_stats_.clock_cycles->sample(o.cycles);
  ++*cosim_.walks;
  cosim_.tlm_cycles->sample(cycles_up(tlm_end - start, cycle_ps_));
  cosim_.rtl_cycles->sample(cycles_up(o.end - start, cycle_ps_));
  if (o.end >= tlm_end) cosim_.cycle_diff->sample(cycles_up(o.end - tlm_end, cycle_ps_));
  else ++*cosim_.rtl_faster;
  const unsigned fields = compare_walks(w, rec.log(), o.result, o.reads);
  if (fields) {
    ++*cosim_.mismatches;
    for (unsigned b = 0; b < kCosimFieldCount; ++b)
      if (fields & (1u << b)) ++*cosim_.field[b];
    if (cosim_.mismatches->value() <= kCosimReportsShown) {
      std::string text = fmt::format("{} at {} ps: ", name(), start) +
                         describe_walk_mismatch(wp, rq, w, rec.log(), o.result, o.reads, fields);
      if (cosim_.mismatches->value() == kCosimReportsShown) text += "\n  (further mismatches are counted, not shown)";
      cosim_reports_.push_back(text);
      SC_REPORT_WARNING("/iommu/cosim", text.c_str());
    }
  }
  return w;
}

void RemappingUnit::open_vcd(const std::string& path, Tick from, Tick to) {
  if (!rtl_)
    throw InputError(fmt::format("--vcd: the waveform is the RTL walker's, and {} has walker: tlm (set "
                                 "platform.iommus[].walker to rtl or both, e.g. --set {}.walker=rtl)",
                                 name(), p_.name));
  try {
    rtl_->open_vcd(path, from, to);
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("--vcd: {}", e.what()));
  }
}

void RemappingUnit::close_vcd() {
  if (rtl_) rtl_->close_vcd();
}

void RemappingUnit::use_rtl_walker(std::unique_ptr<RtlSlWalker> w) {
  if (p_.walker == WalkerKind::Tlm) throw std::logic_error("use_rtl_walker: the unit's walker is tlm");
  rtl_ = std::move(w);
}

bool RemappingUnit::context_of(std::uint16_t sid, Tick& t, ContextEntry& ce, Outcome& out) {
  t += cycle_ps_ * p_.context_cache.latency_cycles;
  Tick ready = 0;
  if (const ContextEntry* hit = cc_.lookup(sid, &ready)) {
    ++cc_hits_;
    t = std::max(t, ready);
    ce = *hit;
    return true;
  }
  ++cc_misses_;
  ++context_walks_;
  WalkReader reader = begin_walk(t);
  const RootTablePointer root = regfile_.root_table().value_or(RootTablePointer{});
  ContextCaps caps;
  caps.sagaw = static_cast<std::uint8_t>(p_.features.sagaw);
  caps.dt = p_.features.dt;
  caps.pt = p_.features.pt;
  const ContextLookup cl = lookup_legacy_context(reader, root.address, sid, p_.features.haw, caps);
  t = end_walk(reader);
  if (!cl.ok) {
    out.fault = cl.fault;
    out.fpd = cl.fpd;
    return false;
  }
  ce = cl.ce;
  cc_.insert(sid, ce, t);
  return true;
}

void RemappingUnit::walk(std::uint16_t did, Addr top, unsigned levels, std::uint32_t pasid, const Request& q,
                         Tick& t, Outcome& out) {
  const Addr iova = q.iova;
  t += cycle_ps_ * p_.psc.latency_cycles;
  PscHit hit{};
  const bool resumed = psc_.lookup(did, iova, levels, hit);
  if (resumed) {
    ++psc_hits_;
    t = std::max(t, hit.ready);
  } else {
    ++psc_misses_;
  }
  ++walks_;
  WalkReader reader = begin_walk(t);
  const Tick start = reader.time();
  const SlWalkParams wp = sl_params(top, levels);
  // A translation request neither reads nor writes: the walk reports what the
  // entries grant (not present: R = W = 0) instead of a permission fault.
  const bool tr = q.at == AddressType::TranslationRequest;
  SlWalkRequest rq;
  rq.iova = iova;
  rq.write = q.write && !tr;
  rq.read = !q.write && !tr;
  rq.start_level = resumed ? hit.level - 1 : 0;
  rq.start_table = resumed ? hit.entry.table : 0;
  rq.start_r = resumed ? hit.entry.r : true;
  rq.start_w = resumed ? hit.entry.w : true;
  const SlWalkResult w = sl_walk(reader, wp, rq);
  t = end_walk(reader);
  reads_per_walk_.sample(reader.reads());
  walk_latency_.sample(t - start);

  // Fill the paging-structure caches with the non-leaf entries read, each with
  // the permissions accumulated from the top down to it.
  bool r = resumed ? hit.entry.r : true, wr = resumed ? hit.entry.w : true;
  for (const SlStep& st : w.steps) {
    const SlPte e = SlPte::decode(st.entry);
    if (!e.present() || SlPte::is_leaf(st.level, e.ps) || st.level < PagingStructureCache::kMinLevel) break;
    if (sl_reserved_mask(st.level, e.ps, p_.features.haw) & st.entry) break;
    r = r && e.r;
    wr = wr && e.w;
    psc_.insert(did, iova, st.level, {e.addr & haw_mask(p_.features.haw), r, wr}, t);
  }
  if (!w.ok) {
    out.fault = pasid == kNoPasid ? w.fault : sm_fault_from_sl(w.fault);
    // Caching mode (CAP.CM, VT-d 6.1): the unit may cache not-present
    // entries, so software must invalidate after making an entry present (a
    // virtual IOMMU traps those invalidations). Model that: a 4 KiB
    // no-permission entry answers the page until it is invalidated.
    const bool not_present = w.end_level >= 1 && !w.steps.empty() && !SlPte::decode(w.steps.back().entry).present();
    if (p_.features.cm && not_present)
      iotlb_.insert(did, iova, {iova & ~Addr(0xfff), 12, false, false}, t, pasid);
    return;
  }
  out.ok = true;
  out.pa = w.pa;
  out.r = w.r;
  out.w = w.w;
  if (!w.r && !w.w) return;  // a translation request to a not-present page
  const unsigned shift = log2_exact(w.page_size);
  out.shift = shift;
  iotlb_.insert(did, iova, {w.pa & ~(w.page_size - 1), static_cast<std::uint8_t>(shift), w.r, w.w}, t, pasid);
}

RemappingUnit::Outcome RemappingUnit::translate(const Request& q, Tick t) {
  const RootTablePointer root = regfile_.root_table().value_or(RootTablePointer{});
  if (root.ttm == reg::kTtmScalable && p_.features.smts) return translate_scalable(q, t);
  return translate_legacy(q, t);
}

RemappingUnit::Outcome RemappingUnit::translate_legacy(const Request& q, Tick t) {
  Outcome out;
  t += cycle_ps_ * p_.pipeline_cycles;
  ContextEntry ce;
  if (!context_of(q.sid, t, ce, out)) {
    out.done = t;
    return out;
  }
  out.did = ce.did;
  out.did_known = true;
  out.fpd = ce.fpd;
  // Translation and translated requests (PCIe AT 01b/10b) are allowed only
  // with TT = 01b (Device-TLBs); otherwise they are blocked (VT-d 3.4.3,
  // fault 0xD).
  if (q.at != AddressType::Untranslated) {
    if (ce.tt != kTtDeviceTlb) {
      out.fault = FaultReason::kBlockedByTranslationType;
      out.done = t;
      return out;
    }
    if (q.at == AddressType::Translated) {  // already translated by the device's ATC
      out.ok = true;
      out.pa = q.iova;
      out.done = t;
      return out;
    }
  }
  const bool tr = q.at == AddressType::TranslationRequest;
  if (ce.tt == kTtPassThrough) {
    ++passthrough_;
    out.ok = true;
    out.pa = q.iova;
    out.done = t;
    return out;
  }
  t += cycle_ps_ * p_.iotlb.latency_cycles();
  Tick ready = 0;
  if (const IotlbEntry* e = iotlb_.lookup(ce.did, q.iova, &ready)) {
    ++iotlb_hits_;
    ++*iotlb_size_hits_[e->shift == 12 ? 0 : e->shift == 21 ? 1 : 2];
    t = std::max(t, ready);
    out.done = t;
    out.r = e->r;
    out.w = e->w;
    out.shift = e->shift;
    // Permissions of the cached translation (VT-d 6.2.3: R/W as walked); a
    // translation request reports them instead.
    if (!tr && (q.write ? !e->w : !e->r)) {
      out.fault = q.write ? FaultReason::kWriteNoPermission : FaultReason::kReadNoPermission;
      return out;
    }
    out.ok = true;
    out.pa = e->frame | (q.iova & ((Addr(1) << e->shift) - 1));
    return out;
  }
  ++iotlb_misses_;
  domain_stats(ce.did).iotlb_misses->operator++();
  device_stats(q.sid).iotlb_misses->operator++();
  walk(ce.did, ce.slptptr, ce.levels(), kNoPasid, q, t, out);
  out.done = t;
  return out;
}

bool RemappingUnit::pasid_entry_of(const Request& q, Tick& t, PasidCacheEntry& pce, Outcome& out) {
  t += cycle_ps_ * p_.pasid_cache.latency_cycles;
  const PasidCacheKey key{q.sid, q.has_pasid, q.pasid};
  Tick ready = 0;
  if (const PasidCacheEntry* hit = pasid_cache_.lookup(key, &ready)) {
    ++pasid_hits_;
    t = std::max(t, ready);
    pce = *hit;
    return true;
  }
  ++pasid_misses_;
  ++context_walks_;
  WalkReader reader = begin_walk(t);
  const RootTablePointer root = regfile_.root_table().value_or(RootTablePointer{});
  SmCaps caps;
  caps.flts = p_.features.flts;
  caps.slts = p_.features.slts;
  caps.nest = p_.features.nest;
  caps.pt = p_.features.pt;
  caps.sagaw = static_cast<std::uint8_t>(p_.features.sagaw);
  caps.fl5lp = p_.features.fl5lp;
  const SmLookup sl = lookup_scalable(reader, root.address, q.sid, q.has_pasid, q.pasid, p_.features.haw, caps);
  t = end_walk(reader);
  if (!sl.ok) {
    out.fault = sl.fault;
    out.fpd = sl.fpd;
    return false;
  }
  pce = {sl.pe, sl.pasid, sl.fpd};
  pasid_cache_.insert(key, pce, t);
  return true;
}

void RemappingUnit::walk_first_level(const PasidCacheEntry& pce, const Request& q, Tick& t, Outcome& out) {
  const PasidEntry& pe = pce.pe;
  ++walks_;
  ++fl_walks_;
  // First-level paging-structure caches (not for nested walks, whose cached
  // table pointers would have to be host-physical results of stage 2).
  const bool nested = pe.pgtt == kPgttNested;
  PscHit hit{};
  bool resumed = false;
  if (!nested) {
    t += cycle_ps_ * p_.fl_psc.latency_cycles;
    resumed = fl_psc_.lookup(pe.did, q.iova, pe.fl_levels(), hit, pce.pasid);
    if (resumed) {
      ++fl_psc_hits_;
      t = std::max(t, hit.ready);
    }
  }
  WalkReader reader = begin_walk(t);
  const Tick start = reader.time();
  FlWalkParams fp;
  fp.table = pe.flptptr;
  fp.levels = pe.fl_levels();
  fp.haw = p_.features.haw;
  fp.sp_1g = p_.features.fl1gp;
  fp.sre = pe.sre;
  fp.ere = pe.ere;
  fp.wpe = pe.wpe;
  fp.nxe = pe.nxe;
  if (resumed) {
    fp.start_level = hit.level - 1;
    fp.start_table = hit.entry.table;
    fp.start_rw = hit.entry.w;
    fp.start_us = hit.entry.user;
    fp.start_xd = hit.entry.xd;
  }
  FlStage2 table_stage, output_stage;
  if (nested) {
    // Nested (VT-d 3.8): first-level table pointers and the output are
    // guest-physical, translated by the second-level tables of the entry.
    const SlWalkParams sp = sl_params(pe.slptptr, pe.sl_levels());
    table_stage = make_sl_stage2(reader, sp, false);
    output_stage = make_sl_stage2(reader, sp, q.write);
  }
  const FlWalkResult w =
      iommusim::walk_first_level(reader, fp, q.iova, q.write, q.exec, q.priv, table_stage, output_stage);
  t = end_walk(reader);
  reads_per_walk_.sample(reader.reads());
  walk_latency_.sample(t - start);
  if (!nested) {
    // Fill the first-level PSCs with the non-leaf entries read (with R/W, U/S
    // and XD accumulated from the top).
    bool rw = resumed ? hit.entry.w : true, us = resumed ? hit.entry.user : true;
    bool xd = resumed ? hit.entry.xd : false;
    FlCaps caps;
    caps.sp_1g = fp.sp_1g;
    caps.nxe = fp.nxe;
    for (const FlStep& st : w.steps) {
      const FlPte e = FlPte::decode(st.entry);
      if (!e.p || FlPte::is_leaf(st.level, e.ps) || st.level < PagingStructureCache::kMinLevel) break;
      if (fl_reserved_mask(st.level, e.ps, p_.features.haw, caps) & st.entry) break;
      rw = rw && e.rw;
      us = us && e.us;
      xd = xd || (fp.nxe && e.xd);
      fl_psc_.insert(pe.did, q.iova, st.level, {e.addr & haw_mask(p_.features.haw), true, rw, us, xd}, t, pce.pasid);
    }
  }
  if (!w.ok) {
    out.fault = w.fault;
    return;
  }
  out.ok = true;
  out.pa = w.pa;
  // What may be cached must hold for any later request to the page:
  //  * a supervisor write with WPE = 0 ignores R/W, so its W says nothing
  //    about user writes: not cached;
  //  * nested: the second level was checked for this access only, and its
  //    page size is not known here: a 4 KiB entry granting just this access.
  if (q.priv && q.write && !pe.wpe) return;
  IotlbEntry e{w.pa & ~(w.page_size - 1), static_cast<std::uint8_t>(log2_exact(w.page_size)), w.r, w.w, w.x, w.user};
  if (pe.pgtt == kPgttNested) e = {w.pa & ~Addr(0xfff), 12, !q.write && w.r, q.write && w.w, w.x, w.user};
  iotlb_.insert(pe.did, q.iova, e, t, pce.pasid);
}

RemappingUnit::Outcome RemappingUnit::translate_scalable(const Request& q, Tick t) {
  // ATS in scalable mode (context DTE, PASID-granular device TLBs) is not
  // built: the platform builder refuses device TLBs and at=translated on a
  // unit with SMTS, so no such request gets here.
  if (q.at != AddressType::Untranslated)
    SC_REPORT_FATAL("/iommu/unit", "ATS request in scalable mode: not supported yet (the platform should have refused it)");
  Outcome out;
  t += cycle_ps_ * p_.pipeline_cycles;
  PasidCacheEntry pce;
  if (!pasid_entry_of(q, t, pce, out)) {
    out.done = t;
    return out;
  }
  const PasidEntry& pe = pce.pe;
  out.did = pe.did;
  out.did_known = true;
  out.fpd = pce.fpd;
  if (pe.pgtt == kPgttPassThrough) {
    ++passthrough_;
    out.ok = true;
    out.pa = q.iova;
    out.done = t;
    return out;
  }
  t += cycle_ps_ * p_.iotlb.latency_cycles();
  Tick ready = 0;
  if (const IotlbEntry* e = iotlb_.lookup(pe.did, q.iova, &ready, pce.pasid)) {
    // A cached translation that does not permit this access is walked again,
    // so that the fault reported is the one the tables give. Supervisor and
    // execute requests also need the PASID entry's SRE / ERE (first level).
    const bool fl = pe.uses_first_level();
    const bool ok = (q.write ? e->w : e->r) && (!q.exec || e->x) && (q.priv || e->user) &&
                    (!fl || !q.priv || pe.sre) && (!fl || !q.exec || pe.ere);
    if (ok) {
      ++iotlb_hits_;
      ++*iotlb_size_hits_[e->shift == 12 ? 0 : e->shift == 21 ? 1 : 2];
      t = std::max(t, ready);
      out.ok = true;
      out.pa = e->frame | (q.iova & ((Addr(1) << e->shift) - 1));
      out.done = t;
      return out;
    }
  }
  ++iotlb_misses_;
  domain_stats(pe.did).iotlb_misses->operator++();
  device_stats(q.sid).iotlb_misses->operator++();
  if (pe.uses_first_level()) walk_first_level(pce, q, t, out);
  else walk(pe.did, pe.slptptr, pe.sl_levels(), pce.pasid, q, t, out);
  out.done = t;
  return out;
}

void RemappingUnit::record(const Outcome& o, std::uint16_t sid, Addr iova, bool write, const PcieAttr* attr) {
  ++faults_;
  ++reason_counter(o.fault);
  device_stats(sid).faults->operator++();
  if (o.did_known) domain_stats(o.did).faults->operator++();
  if (o.fpd && fault_is_qualified(o.fault)) {
    ++faults_suppressed_;
    return;
  }
  ++faults_recorded_;
  FaultRecord f;
  f.sid = sid;
  f.addr = iova & ~Addr(0xfff);
  f.reason = static_cast<std::uint8_t>(o.fault);
  f.write = write;
  if (attr) {
    f.has_pasid = attr->has_pasid;
    f.pasid = attr->pasid;
    f.exec = attr->exec;
    f.priv = attr->priv;
    f.at = static_cast<unsigned>(attr->at);
  }
  if (regfile_.record_fault(f)) fault_event(to_sc_time(o.done > now_tick() ? o.done - now_tick() : 0));
}

bool RemappingUnit::in_protected_region(Addr pa, std::uint64_t len) const {
  if (!regfile_.protected_memory_enabled() || len == 0) return false;
  const Addr granule = (Addr(1) << reg::kPmrAlignBits) - 1;  // limit's low bits read as ones
  auto overlaps = [&](Addr base, Addr limit) { return limit >= base && pa <= (limit | granule) && pa + len - 1 >= base; };
  bool hit = false;
  if (p_.features.plmr) hit = overlaps(regfile_.peek(reg::kPlmbase), regfile_.peek(reg::kPlmlimit));
  if (p_.features.phmr) hit = hit || overlaps(regfile_.peek(reg::kPhmbase), regfile_.peek(reg::kPhmlimit));
  return hit;
}

void RemappingUnit::dma(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (const PcieAttr* a = trans.get_extension<PcieAttr>(); a && a->at == AddressType::TranslationRequest)
    return translation_request(trans, delay, trans.get_extension<PcieAttr>());
  if (!regfile_.translation_enabled()) {
    ++bypassed_;
    if (in_protected_region(trans.get_address(), trans.get_data_length())) {
      ++pmr_blocked_;
      trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    dma_out->b_transport(trans, delay);
    return;
  }
  PcieAttr* attr = trans.get_extension<PcieAttr>();
  const std::uint16_t sid = attr ? attr->requester.rid() : 0;
  const Addr iova = trans.get_address();
  const bool write = trans.is_write();
  const Tick now = now_tick();
  const Tick arrival = now + to_tick(delay);

  ++translations_;
  device_stats(sid).translations->operator++();
  Request q;
  q.sid = sid;
  q.iova = iova;
  q.write = write;
  if (attr) {
    q.at = attr->at;
    q.has_pasid = attr->has_pasid;
    q.pasid = attr->pasid;
    q.exec = attr->exec;
    q.priv = attr->priv;
  }
  const Outcome o = translate(q, arrival);
  if (o.did_known) domain_stats(o.did).translations->operator++();
  latency_.sample(o.done - arrival);
  delay = to_sc_time(o.done - now);
  if (!o.ok) {
    record(o, sid, iova, write, attr);
    if (attr) attr->fault_reason = static_cast<std::uint8_t>(o.fault);
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  if (in_protected_region(o.pa, trans.get_data_length())) {
    ++pmr_blocked_;
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  trans.set_address(o.pa);
  dma_out->b_transport(trans, delay);
  trans.set_address(iova);
}

void RemappingUnit::translation_request(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay, PcieAttr* attr) {
  ++ats_requests_;
  const std::uint16_t sid = attr ? attr->requester.rid() : 0;
  const Addr iova = trans.get_address();
  const Tick now = now_tick();
  const Tick arrival = now + to_tick(delay);
  if (!trans.is_read() || trans.get_data_length() != 8 || trans.get_byte_enable_ptr()) {
    // A translation request is a memory read whose completion carries one
    // 8-byte data entry per translation; iommusim asks for one.
    ++ats_ur_;
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  AtsCompletion c;
  Tick done = arrival;
  if (!regfile_.translation_enabled()) {
    // Remapping off: the address is its own translation, read and write.
    c.addr = iova & ~Addr(0xfff);
    c.r = c.w = true;
  } else {
    ++translations_;
    device_stats(sid).translations->operator++();
    Request q;
    q.sid = sid;
    q.iova = iova;
    q.at = AddressType::TranslationRequest;
    const Outcome o = translate(q, arrival);
    if (o.did_known) domain_stats(o.did).translations->operator++();
    latency_.sample(o.done - arrival);
    done = o.done;
    if (!o.ok) {
      // Root/context faults, TT blocking the request, addresses beyond the
      // guest address width, reserved bits and access errors: the request
      // is answered Unsupported Request and the fault recorded. Missing
      // translations and permissions are not faults: they come back as R/W.
      ++ats_ur_;
      record(o, sid, iova, false, attr);
      if (attr) attr->fault_reason = static_cast<std::uint8_t>(o.fault);
      delay = to_sc_time(done - now);
      trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    c.r = o.r;
    c.w = o.w;
    c.shift = (o.r || o.w) ? o.shift : 12;
    c.addr = (o.r || o.w) ? o.pa & ~((Addr(1) << c.shift) - 1) : 0;
    if (!o.r && !o.w) ++ats_no_access_;
  }
  const std::uint64_t v = c.encode();
  unsigned char* d = trans.get_data_ptr();
  for (unsigned i = 0; i < 8; ++i) d[i] = static_cast<unsigned char>(v >> (8 * i));
  delay = to_sc_time(done - now);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace iommusim
