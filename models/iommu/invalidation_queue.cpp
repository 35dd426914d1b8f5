#include "iommu/invalidation_queue.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/pcie_attr.h"
#include "vtd/ats_completion.h"
#include "vtd/registers.h"

namespace iommusim {

InvalidationQueue::InvalidationQueue(std::string unit_name, const RemappingUnitParams& p, Parts parts, Ports ports,
                                     InvalidationStats& stats)
    : name_(std::move(unit_name)),
      p_(p),
      parts_(parts),
      ports_(ports),
      stats_(stats),
      cycle_ps_(p.cycle_ps()) {}

void InvalidationQueue::run() {
  for (;;) {
    sc_core::wait(kick_);
    drain();
  }
}

void InvalidationQueue::set_iqercd_field(unsigned shift, std::uint64_t mask, std::uint64_t value) {
  RegisterFile& regs = parts_.regs;
  regs.set_iqercd((regs.peek(reg::kIqercd) & ~(mask << shift)) | ((value & mask) << shift));
}

void InvalidationQueue::error(unsigned iqei) {
  ++stats_.qi_errors;
  // IQEI (3:0); the ITESID/ICESID fields of earlier errors stay.
  set_iqercd_field(0, 0xf, iqei);
  parts_.faults.report_status(reg::kFstsIqe);
}

void InvalidationQueue::invalidation_event() {
  ++stats_.invalidation_events;
  const MsiMessage m = parts_.regs.invalidation_event_message();
  send_msi(ports_.irq, m, sc_core::SC_ZERO_TIME);
  SC_REPORT_INFO_VERB("/iommu/qi",
                      fmt::format("{}: invalidation event: data {:#x} to {:#x}", name_, m.data, m.address).c_str(),
                      sc_core::SC_MEDIUM);
}

void InvalidationQueue::drain() {
  using namespace reg;
  RegisterFile& regs = parts_.regs;
  const QiCaps caps = QiCaps::from_features(p_.features);
  while (regs.queued_invalidation_enabled() && !(regs.peek(kFsts) & (kFstsIqe | kFstsIte))) {
    const std::uint64_t iqa = regs.peek(kIqa);
    const bool wide = iqa & kIqaDw;
    const unsigned bytes = wide ? kQiDescriptorBytes256 : kQiDescriptorBytes128;
    const std::uint64_t queue_bytes = std::uint64_t(4096) << (iqa & kIqaQsMask);
    const std::uint64_t head = regs.peek(kIqh) & kIqhtMask;
    const std::uint64_t tail = regs.peek(kIqt) & kIqhtMask;
    if (wide && !p_.features.smts) return error(5);
    if (tail >= queue_bytes || (tail % bytes) != 0) return error(1);
    if (head == tail) {
      // An invalidation that never completes times out even when no wait
      // descriptor follows it: the engine comes back at the deadline (or
      // earlier, for new descriptors, which it processes meanwhile).
      if (devtlb_unanswered_) {
        if (now_tick() >= devtlb_timeout_at_) raise_devtlb_timeout();
        else kick_.notify(to_sc_time(devtlb_timeout_at_ - now_tick()));
      }
      return;
    }

    std::uint64_t q[4] = {};
    UnitReader reader(ports_.mem, now_tick(), p_.memory_latency_ps);
    const bool fetched = reader.try_read_entry((iqa & kIqaAddrMask) + head, q, bytes / 8);
    sc_core::wait(to_sc_time(reader.time() - now_tick()));
    if (!fetched) return error(2);
    const QiDecode dec = decode_qi_descriptor(q, wide, caps);
    if (!dec.ok()) return error(dec.error == QiDecodeError::InvalidType ? 3 : 4);

    const std::size_t examined = execute(dec.desc);
    sc_core::wait(to_sc_time(cycle_ps_ * (p_.qi_descriptor_cycles + p_.qi_entry_cycles * examined)));
    if (dec.desc.type == QiType::Wait) {
      if (!wait_for_devtlb_invalidations()) return;  // ITE: IQH stays on the wait
      ++stats_.qi_waits;
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
        ports_.mem->b_transport(t, d);
        sc_core::wait(d);
      }
      if (dec.desc.intr && regs.report_invalidation_wait()) invalidation_event();
    }
    ++stats_.qi_descriptors;
    regs.set_iqh((head + bytes) % queue_bytes);
  }
}

void InvalidationQueue::send_devtlb_invalidation(const QiDescriptor& d) {
  ++stats_.devtlb_invalidations;
  // The ATS invalidate request's body (PCIe 10.3.1): ADDR and S passed
  // through (VT-d 6.5.2.5).
  const Addr body = encode_ats_invalidate(d.addr, d.size);
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
  ports_.ats->b_transport(t, delay);
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
    ++stats_.devtlb_completion_errors;
    // IQERCD.ICESID (63:48): the source-id of the failed invalidation.
    set_iqercd_field(48, 0xffff, d.sid);
    parts_.faults.report_status(reg::kFstsIce, delay);
  } else {
    devtlb_pending_until_ = std::max(devtlb_pending_until_, now + to_tick(delay));
  }
}

void InvalidationQueue::raise_devtlb_timeout() {
  devtlb_unanswered_ = false;
  ++stats_.devtlb_timeouts;
  // IQERCD.ITESID (47:32): the source-id of the timed-out invalidation.
  set_iqercd_field(32, 0xffff, devtlb_timeout_sid_);
  parts_.faults.report_status(reg::kFstsIte);
}

bool InvalidationQueue::wait_for_devtlb_invalidations() {
  if (devtlb_unanswered_) {
    // A wait descriptor holds until every earlier invalidation completed:
    // this one never will, so it holds until the time-out.
    sc_core::wait(from_now(devtlb_timeout_at_));
    if (devtlb_unanswered_) raise_devtlb_timeout();
    return false;
  }
  if (devtlb_pending_until_ > now_tick()) sc_core::wait(to_sc_time(devtlb_pending_until_ - now_tick()));
  return true;
}

std::size_t InvalidationQueue::execute(const QiDescriptor& d) {
  switch (d.type) {
    case QiType::ContextCache:
      return parts_.engine.invalidate_context(d.cc_granularity, d.did, d.sid, d.fm);
    case QiType::Iotlb:
      return parts_.engine.invalidate_iotlb(d.iotlb_granularity, d.did, d.addr, d.am, d.ih);
    case QiType::PasidIotlb:
      return parts_.engine.invalidate_pasid_iotlb(d);
    case QiType::PasidCache:
      return parts_.engine.invalidate_pasid_cache(d);
    case QiType::DeviceTlb:
    case QiType::PasidDeviceTlb:
      send_devtlb_invalidation(d);
      return 0;
    case QiType::InterruptEntryCache:
      return d.iec_granularity == IecGranularity::Global ? parts_.ir.invalidate_global()
                                                         : parts_.ir.invalidate_index(d.iidx, d.im);
    case QiType::Wait:
      return 0;
  }
  return 0;
}

}  // namespace iommusim
