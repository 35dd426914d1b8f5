// Scalable-mode device/PASID lookup (VT-d 3.4.2, 3.4.3): scalable-mode root
// entry at RTA + bus * 16 (VT-d 9.2), 256-bit context entry in the lower or
// upper context table (VT-d 9.4), PASID directory entry at PASIDDIRPTR +
// PASID[19:6] * 8 (VT-d 9.5), 512-bit PASID table entry at SMPTBLPTR +
// PASID[5:0] * 64 (VT-d 9.6), with the scalable-mode fault conditions of
// VT-d 7.1.3 (codes 0x38..0x5B, FaultReason::kSm*).
#pragma once
#include <cstdint>
#include <vector>

#include "common/types.h"
#include "vtd/context_entry.h"
#include "vtd/fault_reason.h"
#include "vtd/pasid_entry.h"
#include "vtd/root_entry.h"
#include "vtd/sm_context_entry.h"
#include "iommu/table_reader.h"

namespace iommusim {

// What the unit supports (ECAP.FLTS/SLTS/NEST/PT, CAP.SAGAW, CAP.FL5LP).
struct SmCaps {
  bool flts = true;   // ECAP.FLTS: PGTT 001b
  bool slts = true;   // ECAP.SLTS: PGTT 010b
  bool nest = true;   // ECAP.NEST: PGTT 011b (also needs FLTS and SLTS)
  bool pt = true;     // ECAP.PT:   PGTT 100b
  uint8_t sagaw = kSagaw39 | kSagaw48;  // AW values allowed for second level
  bool fl5lp = false; // CAP.FL5LP: FLPM 01b (5-level first level)
};

struct SmLookup {
  bool ok = false;
  FaultReason fault = FaultReason::kNone;
  // OR of the FPD bits of the context, PASID-directory and PASID-table
  // entries read so far (VT-d 7.2.1: any of them set disables recording of
  // qualified faults). Not set from an entry that failed its reserved check.
  bool fpd = false;
  ScalableRootEntry re;
  SmContextEntry ce;
  PasidDirEntry pde;
  PasidEntry pe;
  uint32_t pasid = 0;        // the PASID used: the request's, or RID_PASID
  std::vector<Addr> reads;   // base address of each entry read, in order
};

// `root_table` is RTADDR_REG.RTA, `sid` bus << 8 | devfn. Without a PASID the
// context entry's RID_PASID selects the PASID entry. Faults, in order:
//   0x38 root read error, 0x39 root half not present, 0x3A root reserved;
//   0x40 context read error, 0x41 not present, 0x42 reserved;
//   0x45 request with PASID but PASIDE = 0;
//   0x46 PASID[19:6] beyond 2^(PDTS+7) directory entries (0x48 when the
//        PASID is RID_PASID);
//   0x50 directory read error, 0x51 not present, 0x52 reserved;
//   0x58 PASID table read error, 0x59 not present, 0x5A reserved;
//   0x5B PGTT reserved or not supported by `caps`, AW (second level used)
//        not in SAGAW, FLPM (first level used) reserved or 5-level without
//        FL5LP.
SmLookup lookup_scalable(TableReader& mem, Addr root_table, uint16_t sid, bool has_pasid,
                         uint32_t pasid, unsigned haw, const SmCaps& caps = {});

}  // namespace iommusim
