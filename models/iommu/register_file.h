// The remapping unit's register file (VT-d 4.x chapter 11) as plain C++: the
// register state with the spec's access semantics (RO, RW, RW1C, WO), the
// one-shot commands software issues through GCMD/CCMD/IOTLB_REG, and primary
// fault logging with the fault-event interrupt's mask/pending logic.
//
// The register file only records what software asked for. The unit that owns
// it drains the requests with take_commands(), carries them out (walk caches,
// latch pointers, ...) and reports completion with the complete_*() calls,
// which update the status bits software polls (GSTS, CCMD.ICC, IOTLB_REG.IVT).
//
// Access rules (11.2 "Register access"): 4- and 8-byte accesses, naturally
// aligned; 32-bit accesses to either half of a 64-bit register work; an 8-byte
// access to two 32-bit registers acts on both. Misaligned accesses, other sizes
// and accesses past the block answer Access::Error (the unit returns a TLM
// error response). Reserved and unimplemented offsets inside the block read 0
// and ignore writes; read-only fields ignore writes; write-only fields read 0.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/types.h"
#include "vtd/cap_ecap.h"
#include "vtd/invalidation_granularity.h"
#include "vtd/register_fields.h"

namespace iommusim {

struct ContextInvalidation {
  ContextGranularity granularity = ContextGranularity::Global;
  uint16_t did = 0;  // masked to the unit's domain-id width
  uint16_t sid = 0;  // device-selective: source-id
  uint8_t fm = 0;    // device-selective: function mask (bits of SID's function to ignore)
  bool operator==(const ContextInvalidation& o) const {
    return granularity == o.granularity && did == o.did && sid == o.sid && fm == o.fm;
  }
};

struct IotlbInvalidation {
  // What the unit must do. Equal to `requested` except that a page-selective
  // request on a unit without CAP.PSI is carried out domain-selectively.
  IotlbGranularity granularity = IotlbGranularity::Global;
  IotlbGranularity requested = IotlbGranularity::Global;  // IIRG as written
  uint16_t did = 0;
  Addr addr = 0;    // IVA 63:12 (bits >= MGAW ignored)
  uint8_t am = 0;   // IVA 5:0: invalidate 2^am pages
  bool ih = false;  // IVA 6: leaf-only hint
  bool dr = false;  // drain reads (only if CAP.DRD)
  bool dw = false;  // drain writes (only if CAP.DWD)
  bool operator==(const IotlbInvalidation& o) const {
    return granularity == o.granularity && requested == o.requested && did == o.did &&
           addr == o.addr && am == o.am && ih == o.ih && dr == o.dr && dw == o.dw;
  }
};

struct Command {
  enum class Kind {
    SetTranslation,          // GCMD.TE changed: enable = new value; complete_te()
    SetRootTablePointer,     // GCMD.SRTP: complete_srtp()
    WriteBufferFlush,        // GCMD.WBF (CAP.RWBF only): complete_wbf()
    SetQueuedInvalidation,   // GCMD.QIE changed: complete_qie()
    SetInterruptRemapping,   // GCMD.IRE changed: complete_ire()
    SetInterruptRemapTable,  // GCMD.SIRTP: complete_sirtp()
    SetCompatibilityFormat,  // GCMD.CFI changed: complete_cfi()
    QueueTail,               // IQT written (ECAP.QI): the queue has new descriptors
    ContextInvalidate,       // CCMD.ICC: complete_ccmd()
    IotlbInvalidate,         // IOTLB_REG.IVT: complete_iotlb()
  };
  Kind kind = Kind::SetTranslation;
  bool enable = false;              // the Set* kinds that switch something on/off
  ContextInvalidation context;      // ContextInvalidate
  IotlbInvalidation iotlb;          // IotlbInvalidate
};

class RegisterFile {
 public:
  enum class Access { Ok, Error };

  // Validates the features (throws InputError, see validate_features).
  explicit RegisterFile(const UnitFeatures& features);
  // Holds pointers into its own register map: not copied or moved.
  RegisterFile(const RegisterFile&) = delete;
  RegisterFile& operator=(const RegisterFile&) = delete;

  const UnitFeatures& features() const { return f_; }
  // Bytes of the register block (register_block_size()).
  uint64_t size() const { return size_; }

  Access read(uint64_t offset, unsigned size, uint64_t& value) const;
  Access write(uint64_t offset, unsigned size, uint64_t value);

  // Requests issued by register writes since the last call, in issue order.
  std::vector<Command> take_commands();

  // ---- Completions (set the status bits software polls) ----
  void complete_te(bool enabled);      // GSTS.TES = enabled
  void complete_srtp();                // latch RTADDR as written at SRTP; GSTS.RTPS = 1
  void complete_wbf();                 // GSTS.WBFS = 0
  void complete_qie(bool enabled);     // GSTS.QIES = enabled
  void complete_ire(bool enabled);     // GSTS.IRES = enabled
  void complete_sirtp();               // latch IRTA as written at SIRTP; GSTS.IRTPS = 1
  void complete_cfi(bool enabled);     // GSTS.CFIS = enabled
  void complete_ccmd(ContextGranularity actual);  // CCMD.ICC = 0, CAIG = actual
  void complete_iotlb(IotlbGranularity actual);   // IOTLB_REG.IVT = 0, IAIG = actual

  // ---- State the unit acts on ----
  uint32_t gsts() const;
  bool translation_enabled() const;     // GSTS.TES
  bool queued_invalidation_enabled() const;
  bool interrupt_remapping_enabled() const;
  // Latched pointers; empty until the first SRTP / SIRTP completes.
  std::optional<RootTablePointer> root_table() const { return root_table_; }
  std::optional<InterruptRemapTablePointer> interrupt_remap_table() const { return irt_; }
  // PMEN.EPM / PRS and the protected ranges (valid when CAP.PLMR/PHMR).
  bool protected_memory_enabled() const;

  // ---- Primary fault logging ----
  // Records `f` in the next fault recording register. Returns true when a
  // fault-event interrupt must be sent now (FECTL.IM clear and no interrupt
  // condition was already pending); with IM set the event is held (FECTL.IP).
  // Not recorded (returns false) while FSTS.PFO is set; when the next register
  // still holds an unserviced fault, sets PFO instead.
  bool record_fault(const FaultRecord& f);
  // Sets FSTS.IQE / ICE / ITE (the queued-invalidation engine's errors) with
  // the same interrupt rule; returns true when the interrupt must be sent now.
  bool report_fault_status(uint32_t fsts_bits);
  // True once after a register write released a held fault event (software
  // cleared FECTL.IM while IP was set).
  bool take_fault_event();
  MsiMessage fault_event_message() const;

  // ---- Invalidation completion event (VT-d 6.5.2.8, 11.4.9) ----
  // Sets ICS.IWC (an invalidation wait descriptor with IF = 1 completed).
  // Returns true when the invalidation event interrupt must be sent now (IWC
  // was clear and IECTL.IM is clear); with IM set the event is held (IP).
  bool report_invalidation_wait();
  // True once after a register write released a held invalidation event.
  bool take_invalidation_event();
  MsiMessage invalidation_event_message() const;

  // ---- For the queued-invalidation engine (next issue) and tests ----
  // The stored value of the register at exactly `offset` (including
  // write-only bits); 0 for offsets with no register.
  uint64_t peek(uint64_t offset) const;
  void set_iqh(uint64_t value);        // IQH.QH (hardware-owned)
  void set_iqercd(uint64_t value);     // IQERCD (hardware-owned)

 private:
  struct Reg {
    unsigned width = 4;   // bytes
    uint64_t value = 0;
    uint64_t rw = 0;      // bits software writes
    uint64_t w1c = 0;     // bits software clears by writing 1
    uint64_t wo = 0;      // bits that read as 0
  };
  void define(uint64_t offset, unsigned width, uint64_t reset, uint64_t rw, uint64_t w1c = 0,
              uint64_t wo = 0);
  Reg* find(uint64_t offset, unsigned& shift);
  const Reg* find(uint64_t offset, unsigned& shift) const;
  void write_lanes(uint64_t offset, unsigned size, uint64_t value);
  void write_reg(uint64_t reg_offset, Reg& r, uint64_t value, uint64_t enable);
  uint64_t& val(uint64_t offset) { return regs_.at(offset).value; }
  uint64_t val(uint64_t offset) const { return regs_.at(offset).value; }

  void on_gcmd(uint32_t v);
  void on_ccmd();
  void on_iotlb();
  void update_ppf();
  void maybe_clear_ip();
  bool raise_fault_event(uint32_t fsts_before);

  UnitFeatures f_;
  uint64_t size_ = 0;
  uint64_t iva_off_ = 0, iotlb_off_ = 0, frcd_off_ = 0;
  std::map<uint64_t, Reg> regs_;
  const Reg* gsts_reg_ = nullptr;  // regs_.at(GSTS): read on every DMA
  const Reg* pmen_reg_ = nullptr;  // regs_ PMEN, or null when CAP.PLMR/PHMR are clear
  std::vector<Command> commands_;
  uint64_t rtaddr_at_srtp_ = 0, irta_at_sirtp_ = 0;
  std::optional<RootTablePointer> root_table_;
  std::optional<InterruptRemapTablePointer> irt_;
  unsigned next_frcd_ = 0;  // hardware's internal fault recording index
  bool fault_event_released_ = false;
  bool invalidation_event_released_ = false;
};

}  // namespace iommusim
