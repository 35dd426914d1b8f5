// Scalable-mode first-level page walk (VT-d 3.6 first-level translation,
// VT-d 9.7 entry formats) and its nested form (VT-d 3.8), with the fault
// conditions of VT-d 7.1.3 (FaultReason::kSm*).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "common/types.h"
#include "vtd/fault_reason.h"
#include "vtd/fl_pte.h"
#include "iommu/sl_walker.h"
#include "iommu/table_reader.h"

namespace iommusim {

struct FlWalkParams {
  Addr table = 0;        // FLPTPTR of the PASID entry (a GPA when nested)
  unsigned levels = 4;   // 4 or 5 (PasidEntry::fl_levels())
  unsigned haw = 48;     // host address width (pointer bits above are reserved)
  bool sp_1g = false;    // CAP.FL1GP
  bool sre = false;      // PASID entry SRE: supervisor requests allowed
  bool ere = true;       // PASID entry ERE: execute requests allowed
  bool wpe = true;       // PASID entry WPE: supervisor writes honour R/W
  bool nxe = true;       // PASID entry NXE: XD is a field (else reserved)
  // Resuming from a paging-structure-cache hit (not nested): the walk starts
  // at `start_level` in the table at host-physical `start_table`, with the
  // R/W, U/S and XD accumulated above it. 0: from the top.
  unsigned start_level = 0;
  Addr start_table = 0;
  bool start_rw = true, start_us = true, start_xd = false;
};

struct FlStep {
  unsigned level;
  Addr entry_addr;  // host-physical address the entry was read from
  uint64_t entry;
};

struct FlWalkResult {
  bool ok = false;
  FaultReason fault = FaultReason::kNone;
  Addr pa = 0;             // output address (host-physical; through stage 2 when nested)
  uint64_t page_size = 0;  // first-level page size: 4 KiB, 2 MiB or 1 GiB
  // Access rights the first-level entries grant (VT-d 3.6.2): r (always for a
  // present translation), w (R/W ANDed; supervisor with WPE=0 always), x (no
  // XD along the walk), user (U/S ANDed).
  bool r = false, w = false, x = false, user = false;
  unsigned end_level = 0;  // level of the leaf or of the faulting entry
  std::vector<FlStep> steps;  // every first-level entry read, top first
};

// Second-stage translation of a guest-physical address: true and `hpa` on
// success, else false and the fault to report in `f`.
using FlStage2 = std::function<bool(Addr gpa, Addr& hpa, FaultReason& f)>;

// Translates `va` for a request that writes (`write`, else reads), fetches
// (`exec`) and carries supervisor privilege (`priv`, else user). Rules, in order:
//  * levels not 4 or 5: 0x5B (invalid PASID entry), no reads.
//  * priv without SRE: 0x5D; exec without ERE: 0x5C; no reads.
//  * va not canonical (bits 63:47 for 4 levels, 63:56 for 5, not all equal): 0x80.
//  * nested (`stage2` non-empty): FLPTPTR and each non-leaf ADDR are GPAs,
//    translated by `stage2` before the read; a stage-2 read-permission fault
//    (0x86 or legacy 0x6) becomes 0x75 for FLPTPTR and 0x76 for an entry's
//    ADDR, any other stage-2 fault is reported as returned.
//  * per level: a failed read is 0x73 for the entry reached through FLPTPTR,
//    else 0x70; P = 0 is 0x71; reserved bits (fl_reserved_mask) 0x72.
//  * at the leaf (checked in this order): user request and U/S = 0 anywhere
//    on the walk 0x81; exec and XD = 1 anywhere 0x82; write and R/W = 0
//    anywhere (user, or supervisor with WPE = 1) 0x85.
//  * nested: the output GPA goes through `stage2_output` (or `stage2` when
//    that is empty); its fault is reported as returned.
FlWalkResult walk_first_level(TableReader& mem, const FlWalkParams& p, Addr va, bool write,
                              bool exec, bool priv, const FlStage2& stage2 = {},
                              const FlStage2& stage2_output = {});

// A stage-2 function built on walk_second_level (the nested second level,
// VT-d 3.8) for a read (`write` false) or a write. Legacy walker codes are
// mapped to scalable-mode ones: 0x4 -> 0x84, 0x5 -> 0x85, 0x6 -> 0x86,
// 0x7 -> 0x78, 0xC -> 0x7A, 0x3 -> 0x7B. If `reads` is given, the address of
// every second-level entry read is appended.
FlStage2 make_sl_stage2(TableReader& mem, const SlWalkParams& sp, bool write,
                        std::vector<Addr>* reads = nullptr);

// The scalable-mode code for a legacy second-level walker fault (as above).
FaultReason sm_fault_from_sl(FaultReason legacy);

}  // namespace iommusim
