#include "iommu/interrupt_remapper.h"

#include <algorithm>
#include <array>

#include "common/msi_message.h"
#include "vtd/registers.h"

namespace iommusim {

namespace {

// The IRTE reads of remap_msi(): through the interrupt entry cache, and on a
// miss as one timed 16-byte read through the unit's memory port.
class IrteReader : public TableReader {
 public:
  // `path_ps`: the unit's memory path (memory_latency_ns), paid by a miss's read.
  IrteReader(InterruptEntryCache& iec, UnitPort& mem, Addr table, Tick t, Tick lookup_ps, Tick path_ps)
      : iec_(iec), mem_(mem), table_(table), time_(t), lookup_ps_(lookup_ps), path_ps_(path_ps) {}

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
    UnitReader r(mem_, time_, path_ps_);
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
  UnitPort& mem_;
  Addr table_;
  Tick time_;
  Tick lookup_ps_;
  Tick path_ps_;
  bool hit_ = false, read_ = false, fetched_ = false;
  std::uint16_t index_ = 0;
  IecEntry entry_;
};

}  // namespace

InterruptRemapper::InterruptRemapper(const RemappingUnitParams& p, const RegisterFile& regs, UnitPort& mem,
                                     UnitPort& irq, FaultRecorder& faults, InterruptRemapStats& stats,
                                     InvalidationStats& inv, std::uint64_t seed)
    : p_(p),
      regs_(regs),
      mem_(mem),
      irq_(irq),
      faults_(faults),
      stats_(stats),
      inv_(inv),
      cycle_ps_(p.cycle_ps()),
      iec_(p.iec, seed) {}

std::size_t InterruptRemapper::invalidate_global() {
  ++stats_.iec_invalidations;
  std::size_t examined = 0;
  inv_.entries_invalidated += iec_.invalidate_global(&examined);
  return examined;
}

std::size_t InterruptRemapper::invalidate_index(std::uint16_t iidx, unsigned im) {
  ++stats_.iec_invalidations;
  std::size_t examined = 0;
  inv_.entries_invalidated += iec_.invalidate_index(iidx, im, &examined);
  return examined;
}

void InterruptRemapper::request(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  PcieAttr* attr = trans.get_extension<PcieAttr>();
  if (!regs_.interrupt_remapping_enabled()) {
    ++stats_.forwarded;
    irq_->b_transport(trans, delay);
    return;
  }
  ++stats_.requests;
  const Tick arrival = now_tick() + to_tick(delay);
  Tick t = arrival + cycle_ps_ * p_.ir_cycles;

  MsiRequest req;
  req.addr = trans.get_address();
  const unsigned char* d = trans.get_data_ptr();
  const unsigned len = trans.get_data_length();
  for (unsigned i = 0; i < 4 && i < len; ++i) req.data |= std::uint32_t(d[i]) << (8 * i);
  req.sid = attr ? attr->requester.rid() : 0;

  const InterruptRemapTablePointer irta = regs_.interrupt_remap_table().value_or(InterruptRemapTablePointer{});
  RemapOutcome o;
  IrteReader reader(iec_, mem_, irta.address, t, cycle_ps_ * p_.iec.latency_cycles, p_.memory_latency_ps);
  if (!trans.is_write() || len != 4 || trans.get_byte_enable_ptr()) {
    // An interrupt request is a DWORD write (5.1.1); anything else in the
    // window is malformed.
    o.kind = RemapOutcome::Kind::Blocked;
    o.fault = FaultReason::kIrRequestReserved;
  } else {
    o = remap_msi(reader, req, irta, true, regs_.gsts() & reg::kGcmdCfi, p_.features.haw, p_.features.pi);
  }
  if (reader.read()) {
    ++stats_.iec_misses;
    ++stats_.irte_reads;
  } else if (reader.hit()) {
    ++stats_.iec_hits;
  }
  t = std::max(t, reader.time());
  // Only usable entries are cached (present, no reserved bits set).
  const bool usable = o.kind == RemapOutcome::Kind::Remapped || o.kind == RemapOutcome::Kind::Posted ||
                      o.fault == FaultReason::kIrSourceIdInvalid;
  if (reader.fetched() && usable) iec_.insert(reader.index(), reader.entry(), t);

  bool ok = true;
  switch (o.kind) {
    case RemapOutcome::Kind::Passthrough: {
      ++stats_.compat_passed;
      sc_core::sc_time dd = to_sc_time(t - now_tick());
      irq_->b_transport(trans, dd);
      delay = dd;
      stats_.latency.sample(t - arrival);
      return;
    }
    case RemapOutcome::Kind::Remapped: {
      ++stats_.remapped;
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
      ++stats_.posted;
      ok = post(o, t, attr);
      if (!ok)
        faults_.record_interrupt(FaultReason::kIrPostedDescriptorAccessError, o.fpd, req.sid, o.index, t, stats_);
      break;
    case RemapOutcome::Kind::Blocked:
      faults_.record_interrupt(o.fault, o.fpd, req.sid, o.index, t, stats_);
      ok = false;
      break;
  }
  if (!ok) {
    ++stats_.blocked;
    if (attr)
      attr->fault_reason = static_cast<std::uint8_t>(
          o.kind == RemapOutcome::Kind::Posted ? FaultReason::kIrPostedDescriptorAccessError : o.fault);
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  } else {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  stats_.latency.sample(t - arrival);
  delay = from_now(t);
}

Tick InterruptRemapper::deliver(const MsiFields& f, Tick t, PcieAttr* attr) {
  return send_msi(irq_, MsiMessage{msi_address(f), msi_data(f)}, from_now(t), attr);
}

bool InterruptRemapper::post(const RemapOutcome& o, Tick& t, PcieAttr* attr) {
  ++stats_.pid_updates;
  std::array<std::uint64_t, 8> desc{};
  UnitReader reader(mem_, t, p_.memory_latency_ps);
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
  sc_core::sc_time d = from_now(t);
  mem_->b_transport(w, d);
  t = now_tick() + to_tick(d);
  if (!w.is_response_ok()) return false;

  if (u.notify) {
    ++stats_.notifications;
    const auto irta = regs_.interrupt_remap_table().value_or(InterruptRemapTablePointer{});
    MsiFields f;
    f.dest = posted_notification_apic_id(u.ndst, irta.eime);
    f.vector = static_cast<std::uint8_t>(u.nv);
    t = deliver(f, t, attr);
  }
  return true;
}

}  // namespace iommusim
