// The remapping unit's queued-invalidation engine (VT-d 6.5.2, registers
// 11.4.9): an SC_THREAD that, when software moves the tail (IQT) or enables the
// queue, fetches descriptors from IQH to IQT through the unit's memory port,
// carries each out and advances IQH, one descriptor after the other. Effects
// happen at their simulated time: a wait descriptor's status write lands in
// memory when the engine reaches it, so software polling for it sees it then.
//
// Timing: each fetch pays the memory controller's latency; each descriptor
// costs qi.descriptor_cycles plus qi.entry_cycles per cache entry its
// invalidation examines. Every request completes inside b_transport in this
// model, so the drain (DR/DW) and fence (FN) semantics hold by construction.
//
// Errors stop the engine with IQH at the offending descriptor, FSTS.IQE set and
// IQERCD.IQEI saying why (1 tail beyond the queue or misaligned, 2 fetch
// error, 3 invalid type, 4 reserved field, 5 descriptor width not supported);
// it resumes when software clears IQE and writes a register.
#include <fmt/format.h>

#include "common/sc_time_conv.h"
#include "common/pcie_attr.h"
#include "vtd/registers.h"
#include "iommu/remapping_unit.h"
#include "iommu/timed_table_reader.h"

namespace iommusim {

void RemappingUnit::qi_engine() {
  for (;;) {
    sc_core::wait(qi_kick_);
    qi_drain();
  }
}

void RemappingUnit::set_iqercd_field(unsigned shift, std::uint64_t mask, std::uint64_t value) {
  regfile_.set_iqercd((regfile_.peek(reg::kIqercd) & ~(mask << shift)) | ((value & mask) << shift));
}

void RemappingUnit::qi_error(unsigned iqei) {
  ++qi_errors_;
  // IQEI (3:0); the ITESID/ICESID fields of earlier errors stay.
  set_iqercd_field(0, 0xf, iqei);
  if (regfile_.report_fault_status(reg::kFstsIqe)) fault_event();
}

void RemappingUnit::invalidation_event() {
  ++invalidation_events_;
  const MsiMessage m = regfile_.invalidation_event_message();
  send_interrupt(m, sc_core::SC_ZERO_TIME);
  SC_REPORT_INFO_VERB("/iommu/qi",
                      fmt::format("{}: invalidation event: data {:#x} to {:#x}", name(), m.data, m.address).c_str(),
                      sc_core::SC_MEDIUM);
}

void RemappingUnit::qi_drain() {
  using namespace reg;
  const QiCaps caps = QiCaps::from_features(p_.features);
  while (regfile_.queued_invalidation_enabled() && !(regfile_.peek(kFsts) & (kFstsIqe | kFstsIte))) {
    const std::uint64_t iqa = regfile_.peek(kIqa);
    const bool wide = iqa & kIqaDw;
    const unsigned bytes = wide ? kQiDescriptorBytes256 : kQiDescriptorBytes128;
    const std::uint64_t queue_bytes = std::uint64_t(4096) << (iqa & kIqaQsMask);
    const std::uint64_t head = regfile_.peek(kIqh) & kIqhtMask;
    const std::uint64_t tail = regfile_.peek(kIqt) & kIqhtMask;
    if (wide && !p_.features.smts) return qi_error(5);
    if (tail >= queue_bytes || (tail % bytes) != 0) return qi_error(1);
    if (head == tail) {
      // An invalidation that never completes times out even when no wait
      // descriptor follows it: the engine comes back at the deadline (or
      // earlier, for new descriptors, which it processes meanwhile).
      if (devtlb_unanswered_) {
        if (now_tick() >= devtlb_timeout_at_) raise_devtlb_timeout();
        else qi_kick_.notify(to_sc_time(devtlb_timeout_at_ - now_tick()));
      }
      return;
    }

    std::uint64_t q[4] = {};
    TimedTableReader<decltype(mem)> reader(mem, now_tick());
    const bool fetched = reader.try_read_entry((iqa & kIqaAddrMask) + head, q, bytes / 8);
    sc_core::wait(to_sc_time(reader.time() - now_tick()));
    if (!fetched) return qi_error(2);
    const QiDecode dec = decode_qi_descriptor(q, wide, caps);
    if (!dec.ok()) return qi_error(dec.error == QiDecodeError::InvalidType ? 3 : 4);

    const std::size_t examined = qi_execute(dec.desc);
    sc_core::wait(to_sc_time(cycle_ps_ * (p_.qi_descriptor_cycles + p_.qi_entry_cycles * examined)));
    if (dec.desc.type == QiType::Wait) {
      if (!wait_for_devtlb_invalidations()) return;  // ITE: IQH stays on the wait
      ++qi_waits_;
      if (dec.desc.sw) {
        // The status write goes to memory through the unit's port (timed).
        unsigned char data[4];
        for (int i = 0; i < 4; ++i) data[i] = static_cast<unsigned char>(dec.desc.status_data >> (8 * i));
        tlm::tlm_generic_payload t;
        t.set_command(tlm::TLM_WRITE_COMMAND);
        t.set_address(dec.desc.status_addr);
        t.set_data_ptr(data);
        t.set_data_length(4);
        t.set_streaming_width(4);
        sc_core::sc_time d = sc_core::SC_ZERO_TIME;
        mem->b_transport(t, d);
        sc_core::wait(d);
      }
      if (dec.desc.intr && regfile_.report_invalidation_wait()) invalidation_event();
    }
    ++qi_descriptors_;
    regfile_.set_iqh((head + bytes) % queue_bytes);
  }
}

void RemappingUnit::send_devtlb_invalidation(const QiDescriptor& d) {
  ++devtlb_invalidations_;
  // The ATS invalidate request's body: untranslated address 63:12 and S
  // (VT-d 6.5.2.5 passes ADDR and S through; PCIe 10.3.1).
  const Addr body = (d.addr & ~Addr(0xfff)) | (d.size ? Addr(1) << 11 : 0);
  unsigned char data[8];
  for (unsigned i = 0; i < 8; ++i) data[i] = static_cast<unsigned char>(body >> (8 * i));
  PcieAttr attr;
  attr.ats_invalidate = true;
  attr.requester = Bdf{segment_, static_cast<std::uint8_t>(d.sid >> 8), static_cast<std::uint8_t>((d.sid >> 3) & 0x1f),
                       static_cast<std::uint8_t>(d.sid & 7)};
  if (d.type == QiType::PasidDeviceTlb && !d.global) {
    attr.has_pasid = true;
    attr.pasid = d.pasid;
  }
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(body);
  t.set_data_ptr(data);
  t.set_data_length(8);
  t.set_streaming_width(8);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  t.set_extension(&attr);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  ats_out->b_transport(t, delay);
  t.clear_extension(&attr);
  const Tick now = now_tick();
  if (t.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE) {
    // No completion will come (the function does not answer, or does not
    // exist: the request is a posted message): a time-out (ITE) once the
    // timer runs out.
    if (!devtlb_unanswered_) {
      devtlb_timeout_at_ = now + p_.devtlb_timeout_ps;
      devtlb_timeout_sid_ = d.sid;
    }
    devtlb_unanswered_ = true;
  } else if (!t.is_response_ok()) {
    // An invalid Invalidate Completion (e.g. an ITag that matches no
    // outstanding request): FSTS.ICE (VT-d 6.5.2.5 / 11.4.9).
    ++devtlb_completion_errors_;
    // IQERCD.ICESID (63:48): the source-id of the failed invalidation.
    set_iqercd_field(48, 0xffff, d.sid);
    if (regfile_.report_fault_status(reg::kFstsIce)) fault_event(delay);
  } else {
    devtlb_pending_until_ = std::max(devtlb_pending_until_, now + to_tick(delay));
  }
}

void RemappingUnit::raise_devtlb_timeout() {
  devtlb_unanswered_ = false;
  ++devtlb_timeouts_;
  // IQERCD.ITESID (47:32): the source-id of the timed-out invalidation.
  set_iqercd_field(32, 0xffff, devtlb_timeout_sid_);
  if (regfile_.report_fault_status(reg::kFstsIte)) fault_event();
}

bool RemappingUnit::wait_for_devtlb_invalidations() {
  if (devtlb_unanswered_) {
    // A wait descriptor holds until every earlier invalidation completed:
    // this one never will, so it holds until the time-out.
    sc_core::wait(to_sc_time(devtlb_timeout_at_ > now_tick() ? devtlb_timeout_at_ - now_tick() : 0));
    if (devtlb_unanswered_) raise_devtlb_timeout();
    return false;
  }
  if (devtlb_pending_until_ > now_tick()) sc_core::wait(to_sc_time(devtlb_pending_until_ - now_tick()));
  return true;
}

std::size_t RemappingUnit::qi_execute(const QiDescriptor& d) {
  std::size_t examined = 0, e1 = 0, e2 = 0;
  switch (d.type) {
    case QiType::ContextCache:
      return invalidate_context(d.cc_granularity, d.did, d.sid, d.fm);
    case QiType::Iotlb:
      return invalidate_iotlb(d.iotlb_granularity, d.did, d.addr, d.am, d.ih);
    case QiType::PasidIotlb: {
      ++iotlb_invalidations_;
      std::size_t removed = 0;
      if (d.piotlb_granularity == PasidIotlbGranularity::AllInPasid)
        removed = iotlb_.invalidate_pasid(d.did, d.pasid, &e1) + fl_psc_.invalidate_pasid(d.did, d.pasid, &e2);
      else
        removed = iotlb_.invalidate_pasid_pages(d.did, d.pasid, d.addr, d.am, &e1) +
                  (d.ih ? 0 : fl_psc_.invalidate_pasid(d.did, d.pasid, &e2));
      entries_invalidated_ += removed;
      return e1 + e2;
    }
    case QiType::PasidCache: {
      ++cc_invalidations_;
      std::size_t removed = 0;
      switch (d.pc_granularity) {
        case PasidCacheGranularity::Domain:
          removed = pasid_cache_.invalidate_domain(d.did);
          break;
        case PasidCacheGranularity::Pasid:
          removed = pasid_cache_.invalidate_pasid(d.did, d.pasid);
          break;
        case PasidCacheGranularity::Global:
          removed = pasid_cache_.invalidate_global();
          break;
      }
      entries_invalidated_ += removed;
      return pasid_cache_.params().entries;
    }
    case QiType::DeviceTlb:
    case QiType::PasidDeviceTlb:
      send_devtlb_invalidation(d);
      return examined;
    case QiType::InterruptEntryCache: {
      ++*ir_.iec_invalidations;
      const std::size_t removed = d.iec_granularity == IecGranularity::Global
                                      ? iec_.invalidate_global(&examined)
                                      : iec_.invalidate_index(d.iidx, d.im, &examined);
      entries_invalidated_ += removed;
      return examined;
    }
    case QiType::Wait:
      return examined;
  }
  return examined;
}

}  // namespace iommusim
