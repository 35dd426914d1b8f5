// Legacy-mode second-level page walk (VT-d 3.7 second-level translation,
// VT-d 9.8 entry formats, VT-d 7.1.3 fault conditions).
#pragma once
#include <cstdint>
#include <vector>

#include "common/types.h"
#include "vtd/fault_reason.h"
#include "vtd/sl_pte.h"
#include "iommu/table_reader.h"

namespace iommusim {

struct SlWalkParams {
  Addr table = 0;      // SLPTPTR of the context entry
  unsigned levels = 4; // 3, 4 or 5 (ContextEntry::levels())
  unsigned haw = 48;   // host address width
  bool sp_2m = true, sp_1g = true;  // CAP.SLLPS
  unsigned mgaw = 64;  // CAP.MGAW + 1; input limit is min(MGAW, AGAW of `levels`)
  bool sc = true;      // ECAP.SC (SNP not reserved in leaves)
  bool dt = true;      // ECAP.DT (TM not reserved in leaves)
};

struct SlStep {
  unsigned level;
  Addr entry_addr;
  uint64_t entry;
};

struct SlWalkResult {
  bool ok = false;
  FaultReason fault = FaultReason::kNone;
  Addr pa = 0;             // translated address (leaf frame + offset)
  uint64_t page_size = 0;  // 4 KiB, 2 MiB or 1 GiB
  bool r = false, w = false;  // permissions ANDed over the walked entries
  unsigned end_level = 0;  // level of the leaf, or of the faulting entry
  std::vector<SlStep> steps;  // every entry read, top first
};

// Translates `iova` for an access that reads and/or writes (an AtomicOp does
// both). Rules, in order:
//  * iova >= 2^min(mgaw, 12 + 9 * levels): 0x4, no reads. levels outside 3..5:
//    0x3 (invalid context programming), no reads.
//  * per level, read the entry at table + index * 8 (index = 9 iova bits); a
//    failed read is 0x3 at the top level entered through SLPTPTR, else 0x7.
//  * R = W = 0: not present; the walk stops with the access type's permission
//    fault (0x5 if `write`, else 0x6). A request that neither reads nor writes
//    (a translation request) gets ok = true with r = w = false instead.
//  * reserved bits of a present entry (sl_reserved_mask, incl. PS=1 at a level
//    whose page size CAP.SLLPS lacks): 0xC.
//  * R and W are ANDed along the walk and checked at the leaf: write without W
//    is 0x5 (checked first), read without R is 0x6.
// start_level/start_table resume a walk at a lower level after a
// paging-structure-cache hit; start_r/start_w are the permissions the cached
// upper-level entries grant (ANDed in). start_level 0 walks from the top.
SlWalkResult walk_second_level(TableReader& mem, const SlWalkParams& p, Addr iova, bool write,
                               bool read, unsigned start_level = 0, Addr start_table = 0,
                               bool start_r = true, bool start_w = true);

}  // namespace iommusim
