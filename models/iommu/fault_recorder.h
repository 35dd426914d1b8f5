// Fault recording of a remapping unit (VT-d 7.1-7.3, registers 11.4.9 FSTS,
// FECTL, FEDATA/FEADDR and 11.4.14 FRCD): what happens to a request the unit
// blocks. It counts the fault (per reason, device and domain), drops it when
// the structure it came from has FPD = 1 and the fault is qualified (7.1.2),
// else hands it to primary fault logging in the register file, and sends the
// fault event interrupt (FEDATA to FEADDR) when the register file says one is
// due (FECTL.IM clear, no interrupt pending). The other sources of fault
// events (FSTS.IQE, ITE, ICE from the invalidation queue) come here too.
#pragma once
#include <cstdint>
#include <string>

#include <systemc>

#include "common/pcie_attr.h"
#include "common/types.h"
#include "iommu/register_file.h"
#include "iommu/unit_ports.h"
#include "iommu/unit_stats.h"
#include "vtd/fault_reason.h"

namespace iommusim {

class FaultRecorder {
 public:
  FaultRecorder(std::string unit_name, RegisterFile& regs, UnitPort& irq, FaultStats& stats, ScopeStats& scopes)
      : name_(std::move(unit_name)), regs_(regs), irq_(irq), stats_(stats), scopes_(scopes) {}

  // What a blocked DMA or translation request tells fault recording.
  struct DmaFault {
    FaultReason reason = FaultReason::kNone;
    bool fpd = false;        // FPD of the entry that gave the fault
    bool did_known = false;  // the fault came after the domain was known
    std::uint16_t did = 0;
    Tick at = 0;             // when it was found (absolute)
  };
  // A DMA-remapping fault of request (sid, iova, write) with the request's
  // PCIe attributes (PASID, exec, priv, AT; optional). FRCD.FI = the page.
  void record_dma(const DmaFault& f, std::uint16_t sid, Addr iova, bool write, const PcieAttr* attr);
  // An interrupt-remapping fault (7.1.1 table, 5.1.4): FRCD.FI[63:48] = the
  // interrupt index; counted in the unit's "ir." group.
  void record_interrupt(FaultReason r, bool fpd, std::uint16_t sid, std::uint32_t index, Tick at,
                        InterruptRemapStats& ir);
  // Sets FSTS bits (IQE, ITE, ICE) and sends a fault event if one is due,
  // `at` from now.
  void report_status(std::uint32_t fsts_bits, const sc_core::sc_time& at = sc_core::SC_ZERO_TIME);
  // Sends the fault event interrupt, `at` from now.
  void fault_event(const sc_core::sc_time& at = sc_core::SC_ZERO_TIME);

 private:
  std::string name_;
  RegisterFile& regs_;
  UnitPort& irq_;
  FaultStats& stats_;
  ScopeStats& scopes_;
};

}  // namespace iommusim
