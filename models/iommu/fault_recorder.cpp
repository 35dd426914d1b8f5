#include "iommu/fault_recorder.h"

#include <fmt/format.h>

namespace iommusim {

void FaultRecorder::record_dma(const DmaFault& o, std::uint16_t sid, Addr iova, bool write, const PcieAttr* attr) {
  ++stats_.faults;
  ++scopes_.reason(o.reason);
  ++*scopes_.device(sid).faults;
  if (o.did_known) ++*scopes_.domain(o.did).faults;
  if (o.fpd && fault_is_qualified(o.reason)) {
    ++stats_.faults_suppressed;
    return;
  }
  ++stats_.faults_recorded;
  FaultRecord f;
  f.sid = sid;
  f.addr = iova & ~Addr(0xfff);
  f.reason = static_cast<std::uint8_t>(o.reason);
  f.write = write;
  if (attr) {
    f.has_pasid = attr->has_pasid;
    f.pasid = attr->pasid;
    f.exec = attr->exec;
    f.priv = attr->priv;
    f.at = static_cast<unsigned>(attr->at);
  }
  if (regs_.record_fault(f)) fault_event(from_now(o.at));
}

void FaultRecorder::record_interrupt(FaultReason r, bool fpd, std::uint16_t sid, std::uint32_t index, Tick at,
                                     InterruptRemapStats& ir) {
  ++scopes_.reason(r);
  ++*scopes_.device(sid).faults;
  if (fpd && fault_is_qualified(r)) {
    ++ir.faults_suppressed;
    return;
  }
  ++ir.faults_recorded;
  FaultRecord f;
  f.sid = sid;
  f.addr = Addr{index & 0xffffu} << 48;  // FRCD.FI[63:48] = interrupt_index (11.4.14)
  f.reason = static_cast<std::uint8_t>(r);
  f.write = true;  // an interrupt request is a write
  if (regs_.record_fault(f)) fault_event(from_now(at));
  if (sc_core::sc_report_handler::get_verbosity_level() >= sc_core::SC_MEDIUM)
    SC_REPORT_INFO_VERB("/iommu/ir",
                        fmt::format("{}: interrupt from {:04x} index {} blocked: {:#x} {}", name_, sid, index,
                                    static_cast<unsigned>(r), fault_reason_text(r))
                            .c_str(),
                        sc_core::SC_MEDIUM);
}

void FaultRecorder::report_status(std::uint32_t fsts_bits, const sc_core::sc_time& at) {
  if (regs_.report_fault_status(fsts_bits)) fault_event(at);
}

void FaultRecorder::fault_event(const sc_core::sc_time& at) {
  ++stats_.fault_events;
  const MsiMessage m = regs_.fault_event_message();
  send_msi(irq_, m, at);
  SC_REPORT_INFO_VERB("/iommu/fault",
                      fmt::format("{}: fault event: data {:#x} to {:#x}", name_, m.data, m.address).c_str(),
                      sc_core::SC_MEDIUM);
}

}  // namespace iommusim
