// Legacy-mode device-to-domain lookup (VT-d 3.4.1): root entry at
// RTA + bus * 16 (VT-d 9.1), context entry at CTP + devfn * 16 (VT-d 9.3),
// with the fault conditions of VT-d 7.1.3.
#pragma once
#include <cstdint>
#include <vector>

#include "common/types.h"
#include "vtd/context_entry.h"
#include "vtd/fault_reason.h"
#include "vtd/root_entry.h"
#include "iommu/table_reader.h"

namespace iommusim {

// What the lookup may accept (CAP.SAGAW, ECAP.DT, ECAP.PT).
struct ContextCaps {
  uint8_t sagaw = kSagaw39 | kSagaw48;  // bit n set: AW = n supported
  bool dt = true;                       // TT = 01b allowed
  bool pt = true;                       // TT = 10b allowed
};

struct ContextLookup {
  bool ok = false;
  FaultReason fault = FaultReason::kNone;
  RootEntry re;       // valid once the root entry was read
  ContextEntry ce;    // valid once the context entry was read (also when not present)
  // FPD of the context entry, set whenever the context entry was read: the
  // caller suppresses recording of a qualified fault (fault_is_qualified())
  // when it is true. Reserved-bit (0xB) faults are unqualified, so a corrupt
  // entry's FPD is never trusted.
  bool fpd = false;
  std::vector<Addr> reads;  // address of each 128-bit entry read, in order
};

// `root_table` is RTADDR_REG.RTA; `source_id` is bus << 8 | devfn.
// Faults: 0x8 root read error, 0x1 root not present, 0xA root reserved bits,
// 0x9 context read error, 0x2 context not present, 0xB context reserved bits,
// 0x3 TT reserved/unsupported or (TT != 10b) AW not in SAGAW.
ContextLookup lookup_legacy_context(TableReader& mem, Addr root_table, uint16_t source_id,
                                    unsigned haw, const ContextCaps& caps = {});

}  // namespace iommusim
