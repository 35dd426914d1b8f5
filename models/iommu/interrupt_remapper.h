// The interrupt remapper of a remapping unit (VT-d chapter 5): interrupt
// requests (4-byte writes to 0xFEEx_xxxx that the root complex routes to the
// unit's msi_in) are checked and translated by remap_msi() (interrupt_remap.h,
// the one decoder of requests and IRTEs); this part adds the interrupt entry
// cache, timing, posting, delivery and fault recording.
//
// Timing of a request arriving at T with GSTS.IRES = 1, in unit cycles:
//   compatibility format: T + ir_cycles, then passed on (CFIS = 1, EIME = 0)
//     or blocked (0x25);
//   remappable format: T + ir_cycles + IEC latency; on an IEC miss the IRTE
//     (16 bytes) is read through the memory port (the memory controller's
//     latency); an entry being filled is visible with its fill time;
//   posted format: then a locked read-modify-write of the 64-byte posted-
//     interrupt descriptor through the memory port (one read, one write), then
//     the notification event, if due;
//   the interrupt (or fault) takes effect at the resulting time.
// With IRES = 0 every request is passed on at once, as before remapping is on.
#pragma once
#include <cstdint>

#include <tlm>

#include "common/msi_message.h"
#include "iommu/fault_recorder.h"
#include "iommu/interrupt_entry_cache.h"
#include "iommu/interrupt_remap.h"
#include "iommu/register_file.h"
#include "iommu/unit_params.h"
#include "iommu/unit_ports.h"
#include "iommu/unit_stats.h"

namespace iommusim {

class InterruptRemapper {
 public:
  InterruptRemapper(const RemappingUnitParams& p, const RegisterFile& regs, UnitPort& mem, UnitPort& irq,
                    FaultRecorder& faults, InterruptRemapStats& stats, InvalidationStats& inv, std::uint64_t seed);

  // An interrupt request from a device (the unit's msi_in b_transport):
  // passed on as it is while GSTS.IRES = 0; otherwise remapped, posted,
  // passed (compatibility format with CFIS) or blocked with a fault (5.1, 5.2).
  void request(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  // Interrupt entry cache invalidation (6.5.2.7 IEC descriptor; SIRTP with
  // CAP.ESIRTPS); each returns the number of entries examined.
  std::size_t invalidate_global();
  std::size_t invalidate_index(std::uint16_t iidx, unsigned im);

  const InterruptEntryCache& iec() const { return iec_; }

 private:
  // Delivers an interrupt message at absolute time `t`; the controller
  // reports what it received through `attr`. Returns the delivery's end.
  Tick deliver(const MsiFields& f, Tick t, PcieAttr* attr);
  // Posted-interrupt descriptor update (5.2.3) for `o` at time `t`: a locked
  // read-modify-write of the 64-byte descriptor, then the notification event
  // if one is due. Returns false on a descriptor access error (fault 0x27).
  bool post(const RemapOutcome& o, Tick& t, PcieAttr* attr);

  const RemappingUnitParams& p_;
  const RegisterFile& regs_;
  UnitPort& mem_;
  UnitPort& irq_;
  FaultRecorder& faults_;
  InterruptRemapStats& stats_;
  InvalidationStats& inv_;
  Tick cycle_ps_;
  InterruptEntryCache iec_;
};

}  // namespace iommusim
