// First-level paging entries (FL-PML5E, FL-PML4E, FL-PDPE, FL-PDE, FL-PTE),
// VT-d 9.7, in the IA-32e 4/5-level format. Levels are numbered as in
// sl_pte.h: 1 = FL-PTE (4 KiB), 2 = FL-PDE (PS=1: 2 MiB), 3 = FL-PDPE (PS=1:
// 1 GiB, needs CAP.FL1GP), 4 = FL-PML4E, 5 = FL-PML5E.
//
//   bit 0       P     present
//   bit 1       R/W   0: writes not allowed (user; supervisor too when WPE=1)
//   bit 2       U/S   0: user-privilege requests not allowed
//   bit 3       PWT   bit 4 PCD (memory typing; decoded raw)
//   bit 5       A     accessed
//   bit 6       D     dirty (leaves; ignored in non-leaf entries)
//   bit 7       PS    page size at levels 2/3 (leaf if 1); PAT at level 1;
//                     reserved at levels 4/5
//   bit 8       G     global (leaves)
//   bit 10      EA    extended accessed (ignored here)
//   bit 12      PAT   in 2 MiB / 1 GiB leaves
//   bits 51:12  ADDR  next table or frame, bits HAW-1:12; bits 51:HAW
//                     reserved; 2 MiB leaf bits 20:13, 1 GiB leaf bits 29:13
//                     reserved (bit 12 is PAT)
//   bits 62:52  ignored
//   bit 63      XD    execute disable (reserved when the PASID entry's NXE = 0)
//
// Reserved-bit masks follow QEMU hw/i386/intel_iommu_internal.h
// (VTD_FPTE_PAGE_L4_RSVD_MASK = 0x80 | bits 51:HAW, LPAGE_L2 0x1fe000,
// LPAGE_L3 0x3fffe000, bits 63:52 not reserved).
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kFlEntryBytes = 8;

inline constexpr unsigned fl_level_shift(unsigned level) { return 12 + 9 * (level - 1); }
inline constexpr uint64_t fl_level_size(unsigned level) { return uint64_t{1} << fl_level_shift(level); }
inline constexpr unsigned fl_index(Addr va, unsigned level) {
  return static_cast<unsigned>((va >> fl_level_shift(level)) & 0x1ff);
}

struct FlCaps {
  bool sp_1g = false;  // CAP.FL1GP: 1 GiB first-level pages
  bool nxe = true;     // PASID entry NXE: XD is a field (else reserved)
};

struct FlPte {
  bool p = false, rw = false, us = false, pwt = false, pcd = false, a = false, d = false;
  bool ps = false;  // bit 7 (PAT in an FL-PTE)
  bool g = false;
  bool xd = false;
  Addr addr = 0;  // bits 51:12 (not masked by HAW)

  static constexpr uint64_t kP = 1ull << 0, kRw = 1ull << 1, kUs = 1ull << 2, kPwt = 1ull << 3,
                            kPcd = 1ull << 4, kA = 1ull << 5, kD = 1ull << 6, kPs = 1ull << 7,
                            kG = 1ull << 8, kXd = 1ull << 63;
  static constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;

  static FlPte decode(uint64_t raw);
  uint64_t raw() const;

  static bool is_leaf(unsigned level, bool ps) { return level == 1 || (ps && (level == 2 || level == 3)); }
};

// Reserved bits of a present entry at `level` (1..5) with PS bit `ps`.
uint64_t fl_reserved_mask(unsigned level, bool ps, unsigned haw, const FlCaps& caps = {});

// Encoders for tests and the host driver model: P set, A/D clear.
uint64_t fl_make_table(Addr next_table, bool rw = true, bool us = true, bool xd = false);
uint64_t fl_make_page(Addr frame, unsigned level, bool rw = true, bool us = true, bool xd = false);

}  // namespace iommusim
