// The remapping unit's interrupt-remapping path (VT-d 4.x chapter 5): interrupt
// requests (4-byte writes to 0xFEEx_xxxx that the root complex routes to
// msi_in) are checked and translated by remap_msi() (interrupt_remap.h, the one
// decoder of requests and IRTEs); this file adds the interrupt entry cache,
// timing, posting, delivery and fault recording.
//
// Timing of a request arriving at T with GSTS.IRES = 1, in unit cycles:
//   compatibility format: T + ir_cycles, then passed on (CFIS = 1, EIME = 0)
//     or blocked (0x25);
//   remappable format: T + ir_cycles + IEC latency; on an IEC miss the IRTE
//     (16 bytes) is read through `mem` (the memory controller's latency); an
//     entry being filled is visible with its fill time;
//   posted format: then a locked read-modify-write of the 64-byte posted-
//     interrupt descriptor through `mem` (one read, one write), then the
//     notification event, if due;
//   the interrupt (or fault) takes effect at the resulting time.
// With IRES = 0 every request is passed on at once, as before remapping is on.
#include <fmt/format.h>

#include "common/msi_message.h"
#include "common/pcie_attr.h"
#include "common/sc_time_conv.h"
#include "vtd/registers.h"
#include "iommu/remapping_unit.h"
#include "iommu/timed_table_reader.h"

namespace iommusim {

namespace {

// The IRTE reads of remap_msi(): through the interrupt entry cache, and on a
// miss as one timed 16-byte read through the unit's memory port.
template <class Socket>
class IrteReader : public TableReader {
 public:
  IrteReader(InterruptEntryCache& iec, Socket& mem, Addr table, Tick t, Tick lookup_ps)
      : iec_(iec), mem_(mem), table_(table), time_(t), lookup_ps_(lookup_ps) {}

  std::uint64_t read_qword(Addr pa) override {
    std::uint64_t q[2] = {};
    try_read_entry(pa & ~Addr(0xf), q, 2);
    return q[(pa >> 3) & 1];
  }

  bool try_read_entry(Addr pa, std::uint64_t* q, unsigned n) override {
    index_ = static_cast<std::uint16_t>((pa - table_) / kIrteBytes);
    time_ += lookup_ps_;
    Tick ready = 0;
    if (const IecEntry* e = iec_.lookup(index_, &ready)) {
      hit_ = true;
      time_ = std::max(time_, ready);
      q[0] = e->lo;
      if (n > 1) q[1] = e->hi;
      return true;
    }
    TimedTableReader<Socket> r(mem_, time_);
    const bool ok = r.try_read_entry(pa, q, n);
    time_ = r.time();
    fetched_ = ok;
    read_ = true;
    if (ok) entry_ = IecEntry{q[0], n > 1 ? q[1] : 0};
    return ok;
  }

  Tick time() const { return time_; }
  bool hit() const { return hit_; }
  bool read() const { return read_; }
  bool fetched() const { return fetched_; }
  std::uint16_t index() const { return index_; }
  const IecEntry& entry() const { return entry_; }

 private:
  InterruptEntryCache& iec_;
  Socket& mem_;
  Addr table_;
  Tick time_;
  Tick lookup_ps_;
  bool hit_ = false, read_ = false, fetched_ = false;
  std::uint16_t index_ = 0;
  IecEntry entry_;
};

}  // namespace

void RemappingUnit::msi(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  PcieAttr* attr = trans.get_extension<PcieAttr>();
  if (!regfile_.interrupt_remapping_enabled()) {
    ++msis_forwarded_;
    irq_out->b_transport(trans, delay);
    return;
  }
  ++*ir_.requests;
  const Tick arrival = now_tick() + to_tick(delay);
  Tick t = arrival + cycle_ps_ * p_.ir_cycles;

  MsiRequest req;
  req.addr = trans.get_address();
  const unsigned char* d = trans.get_data_ptr();
  const unsigned len = trans.get_data_length();
  for (unsigned i = 0; i < 4 && i < len; ++i) req.data |= std::uint32_t(d[i]) << (8 * i);
  req.sid = attr ? attr->requester.rid() : 0;

  const InterruptRemapTablePointer irta = regfile_.interrupt_remap_table().value_or(InterruptRemapTablePointer{});
  RemapOutcome o;
  IrteReader<decltype(mem)> reader(iec_, mem, irta.address, t, cycle_ps_ * p_.iec.latency_cycles);
  if (!trans.is_write() || len != 4 || trans.get_byte_enable_ptr()) {
    // An interrupt request is a DWORD write (5.1.1); anything else in the
    // window is malformed.
    o.kind = RemapOutcome::Kind::Blocked;
    o.fault = FaultReason::kIrRequestReserved;
  } else {
    o = remap_msi(reader, req, irta, true, regfile_.gsts() & reg::kGcmdCfi, p_.features.haw, p_.features.pi);
  }
  if (reader.read()) {
    ++*ir_.iec_misses;
    ++*ir_.irte_reads;
  } else if (reader.hit()) {
    ++*ir_.iec_hits;
  }
  t = std::max(t, reader.time());
  // Only usable entries are cached (present, no reserved bits set).
  const bool usable = o.kind == RemapOutcome::Kind::Remapped || o.kind == RemapOutcome::Kind::Posted ||
                      o.fault == FaultReason::kIrSourceIdInvalid;
  if (reader.fetched() && usable) iec_.insert(reader.index(), reader.entry(), t);

  bool ok = true;
  switch (o.kind) {
    case RemapOutcome::Kind::Passthrough: {
      ++*ir_.compat_passed;
      sc_core::sc_time dd = to_sc_time(t - now_tick());
      irq_out->b_transport(trans, dd);
      delay = dd;
      ir_.latency->sample(t - arrival);
      return;
    }
    case RemapOutcome::Kind::Remapped: {
      ++*ir_.remapped;
      MsiFields f;
      f.dest = o.dest;
      f.vector = static_cast<std::uint8_t>(o.vector);
      f.delivery_mode = o.delivery_mode;
      f.logical = o.dest_mode_logical;
      f.redirection_hint = o.redirection_hint;
      f.level = o.level_trigger;
      t = deliver(f, t, attr);
      break;
    }
    case RemapOutcome::Kind::Posted:
      ++*ir_.posted;
      ok = post(o, t, attr);
      if (!ok) record_ir_fault(FaultReason::kIrPostedDescriptorAccessError, o.fpd, req.sid, o.index, t);
      break;
    case RemapOutcome::Kind::Blocked:
      record_ir_fault(o.fault, o.fpd, req.sid, o.index, t);
      ok = false;
      break;
  }
  if (!ok) {
    ++*ir_.blocked;
    if (attr) attr->fault_reason = static_cast<std::uint8_t>(
                  o.kind == RemapOutcome::Kind::Posted ? FaultReason::kIrPostedDescriptorAccessError : o.fault);
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  } else {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  ir_.latency->sample(t - arrival);
  delay = to_sc_time(t > now_tick() ? t - now_tick() : 0);
}

Tick RemappingUnit::deliver(const MsiFields& f, Tick t, PcieAttr* attr) {
  return send_interrupt(MsiMessage{msi_address(f), msi_data(f)}, to_sc_time(t > now_tick() ? t - now_tick() : 0), attr);
}

bool RemappingUnit::post(const RemapOutcome& o, Tick& t, PcieAttr* attr) {
  ++*ir_.pid_accesses;
  std::array<std::uint64_t, 8> desc{};
  TimedTableReader<decltype(mem)> reader(mem, t);
  const bool read_ok = reader.try_read_entry(o.pda, desc.data(), 8);
  t = reader.time();
  if (!read_ok) return false;
  const PostedUpdate u = post_interrupt(desc, o.vector, o.urgent);

  // The write half of the locked read-modify-write.
  unsigned char buf[kPostedDescriptorBytes];
  for (unsigned q = 0; q < 8; ++q)
    for (unsigned b = 0; b < 8; ++b) buf[8 * q + b] = static_cast<unsigned char>(u.desc[q] >> (8 * b));
  tlm::tlm_generic_payload w;
  w.set_command(tlm::TLM_WRITE_COMMAND);
  w.set_address(o.pda);
  w.set_data_ptr(buf);
  w.set_data_length(kPostedDescriptorBytes);
  w.set_streaming_width(kPostedDescriptorBytes);
  w.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time d = to_sc_time(t > now_tick() ? t - now_tick() : 0);
  mem->b_transport(w, d);
  t = now_tick() + to_tick(d);
  if (!w.is_response_ok()) return false;

  if (u.notify) {
    ++*ir_.notifications;
    const auto irta = regfile_.interrupt_remap_table().value_or(InterruptRemapTablePointer{});
    MsiFields f;
    f.dest = posted_notification_apic_id(u.ndst, irta.eime);
    f.vector = static_cast<std::uint8_t>(u.nv);
    t = deliver(f, t, attr);
  }
  return true;
}

void RemappingUnit::record_ir_fault(FaultReason r, bool fpd, std::uint16_t sid, std::uint32_t index, Tick t) {
  ++reason_counter(r);
  device_stats(sid).faults->operator++();
  if (fpd && fault_is_qualified(r)) {
    ++*ir_.faults_suppressed;
    return;
  }
  ++*ir_.faults_recorded;
  FaultRecord f;
  f.sid = sid;
  f.addr = Addr{index & 0xffffu} << 48;  // FRCD.FI[63:48] = interrupt_index (11.4.14)
  f.reason = static_cast<std::uint8_t>(r);
  f.write = true;  // an interrupt request is a write
  if (regfile_.record_fault(f)) fault_event(to_sc_time(t > now_tick() ? t - now_tick() : 0));
  if (sc_core::sc_report_handler::get_verbosity_level() >= sc_core::SC_MEDIUM)
    SC_REPORT_INFO_VERB("/iommu/ir",
                        fmt::format("{}: interrupt from {:04x} index {} blocked: {:#x} {}", name(), sid, index,
                                    static_cast<unsigned>(r), fault_reason_text(r))
                            .c_str(),
                        sc_core::SC_MEDIUM);
}

}  // namespace iommusim
