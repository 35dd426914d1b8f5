// The queued-invalidation engine of a remapping unit (VT-d 6.5.2, registers
// 11.4.9): when software moves the tail (IQT) or enables the queue, it fetches
// descriptors from IQH to IQT through the unit's memory port, carries each out
// and advances IQH, one descriptor after the other. Effects happen at their
// simulated time: a wait descriptor's status write lands in memory when the
// engine reaches it, so software polling for it sees it then.
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
//
// Device-TLB invalidations (6.5.2.5, 6.5.2.6) become ATS Invalidate Requests
// on the unit's ats_out; a wait descriptor waits for their completions, and
// one that never comes times out (FSTS.ITE, IQERCD.ITESID).
//
// The engine runs in the unit's SC_THREAD: run() never returns.
#pragma once
#include <cstdint>
#include <string>

#include <systemc>

#include "iommu/fault_recorder.h"
#include "iommu/interrupt_remapper.h"
#include "iommu/register_file.h"
#include "iommu/translation_engine.h"
#include "iommu/unit_params.h"
#include "iommu/unit_ports.h"
#include "iommu/unit_stats.h"
#include "vtd/qi_descriptor.h"

namespace iommusim {

class InvalidationQueue {
 public:
  struct Parts {
    RegisterFile& regs;
    TranslationEngine& engine;
    InterruptRemapper& ir;
    FaultRecorder& faults;
  };
  struct Ports {
    UnitPort& mem;  // descriptor fetches, wait status writes
    UnitPort& irq;  // invalidation completion events
    UnitPort& ats;  // ATS invalidate requests, routed by requester ID
  };
  InvalidationQueue(std::string unit_name, const RemappingUnitParams& p, Parts parts, Ports ports,
                    InvalidationStats& stats);

  // The engine's thread body: waits for a kick, drains, forever.
  void run();
  // Makes the engine look at the queue `at` from now (tail written, queue
  // enabled, IQE cleared).
  void kick(const sc_core::sc_time& at) { kick_.notify(at); }
  // The invalidation completion event (IEDATA to IEADDR), also raised by
  // register writes that clear ICS.IWC with an interrupt pending.
  void invalidation_event();
  // The PCI segment of the unit's scope: where its ATS invalidate requests go.
  void set_segment(std::uint16_t segment) { segment_ = segment; }

 private:
  // Processes descriptors from IQH to IQT; returns when the queue is empty or
  // stopped on an error.
  void drain();
  void error(unsigned iqei);
  // IQERCD (11.4.9.x): IQEI 3:0, ITESID 47:32, ICESID 63:48; the others keep.
  void set_iqercd_field(unsigned shift, std::uint64_t mask, std::uint64_t value);
  // Carries out one descriptor; returns the cache entries it examined.
  std::size_t execute(const QiDescriptor& d);
  // Device-TLB invalidate descriptor (0x3, 0x8): sends the ATS invalidate
  // request and notes when its completion is due (or that none will come).
  void send_devtlb_invalidation(const QiDescriptor& d);
  // A wait descriptor's wait for the outstanding device-TLB invalidations;
  // false when one timed out (ITE raised, the queue stops at the wait).
  bool wait_for_devtlb_invalidations();
  void raise_devtlb_timeout();

  std::string name_;
  const RemappingUnitParams& p_;
  Parts parts_;
  Ports ports_;
  InvalidationStats& stats_;
  Tick cycle_ps_;
  sc_core::sc_event kick_;
  std::uint16_t segment_ = 0;
  Tick devtlb_pending_until_ = 0;   // latest completion of the sent invalidations
  bool devtlb_unanswered_ = false;  // an invalidation got no completion
  Tick devtlb_timeout_at_ = 0;      // ... and times out then
  std::uint16_t devtlb_timeout_sid_ = 0;
};

}  // namespace iommusim
