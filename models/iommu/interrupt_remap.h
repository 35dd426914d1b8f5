// Interrupt remapping and posting, VT-d rev 4.x chapter 5, as plain C++.
//
// remap_msi() processes one interrupt request (a DWORD write to the
// 0xFEEx_xxxx window) the way 5.1.2-5.1.5 describe: compatibility-format
// requests pass through or are blocked, remappable-format requests are looked
// up in the interrupt remapping table (IRTA_REG) and come out remapped, posted
// or blocked with an interrupt-remapping fault reason (7.1.3). post_interrupt()
// is the posted-interrupt descriptor update of 5.2.3 as a pure function.
//
// The request address format (5.1.2.2) is in vtd/remappable_msi.h.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "common/types.h"
#include "vtd/fault_reason.h"
#include "vtd/irte.h"
#include "vtd/posted_descriptor.h"
#include "vtd/remappable_msi.h"
#include "iommu/register_file.h"
#include "iommu/table_reader.h"

namespace iommusim {

// Interrupt-remapping fault reasons are FaultReason::kIr* (fault_reason.h).

struct MsiRequest {
  Addr addr = 0;
  uint32_t data = 0;
  uint16_t sid = 0;  // requester id
};

struct RemapOutcome {
  enum class Kind {
    Remapped,     // fields below from a remapped-format IRTE
    Posted,       // vector/pda/urgent from a posted-format IRTE
    Passthrough,  // IRE off, or compatibility format allowed (GSTS.CFIS):
                  // fields decoded from the request itself
    Blocked,      // fault says why
  };
  Kind kind = Kind::Blocked;
  FaultReason fault = FaultReason::kNone;
  bool fpd = false;  // the IRTE's FPD bit (false when no IRTE was read)
  uint32_t vector = 0;
  uint32_t dest = 0;  // APIC ID: 8 bits xAPIC, 32 bits x2APIC
  bool dest_mode_logical = false;
  bool redirection_hint = false;
  uint8_t delivery_mode = 0;
  bool level_trigger = false;
  uint32_t index = 0;  // interrupt_index (remappable format); FRCD fault info
  // Posted.
  Addr pda = 0;
  bool urgent = false;
  std::vector<Addr> reads;  // IRTE addresses read (16 bytes each)

  // A blocked request records its fault unless it is qualified and FPD is set.
  bool record_fault() const {
    return kind == Kind::Blocked && fault != FaultReason::kNone &&
           !(fpd && fault_is_qualified(fault));
  }
};

// Processes one interrupt request. `irta` is IRTA_REG (address, EIME, S),
// `ire` GSTS.IRES, `cfi` GSTS.CFIS, `haw` the host address width,
// `posting_supported` CAP.PI (without it IM = 1 is a reserved bit, fault 0x24).
//
// Order of checks: IRE off -> Passthrough; address bits 63:32 or 31:20 not
// 0xFEE -> 0x20 (QEMU); compatibility format -> 0x25 when EIME or !CFI, else
// Passthrough; SHV with data bits 31:16 set -> 0x20; index >= 2^(S+1) -> 0x21;
// IRTE read error -> 0x23; P = 0 -> 0x22; reserved -> 0x24; source validation
// -> 0x26.
RemapOutcome remap_msi(TableReader& mem, const MsiRequest& req,
                       const InterruptRemapTablePointer& irta, bool ire, bool cfi, unsigned haw,
                       bool posting_supported = true);

// The posted-interrupt descriptor format is vtd/posted_descriptor.h.
struct PostedUpdate {
  std::array<uint64_t, 8> desc{};  // the descriptor after the update
  bool notify = false;             // send notification event NV to NDST
  uint32_t nv = 0;
  uint32_t ndst = 0;               // raw NDST field
};

// 5.2.3: set PIR[vector]; when ON was clear and (URG or SN clear), set ON and
// request a notification event. Otherwise (ON already set, or SN set for a
// non-urgent interrupt) the descriptor only gains the PIR bit.
PostedUpdate post_interrupt(const std::array<uint64_t, 8>& desc, uint32_t vector, bool urgent);

}  // namespace iommusim
