// Scalable-mode PASID directory entry (VT-d 9.5) and PASID table entry
// (VT-d 9.6). The directory (at the context entry's PASIDDIRPTR) holds
// 2^(PDTS+7) entries of 64 bits indexed by PASID[19:6]; each present
// directory entry points at a 4 KiB PASID table of 64 entries of 512 bits
// indexed by PASID[5:0] (VT-d 3.4.3).
//
// PASID directory entry (VT-d 9.5):
//   bit 0        P          present
//   bit 1        FPD        fault processing disable
//   bits 11:2    reserved
//   bits 63:12   SMPTBLPTR  scalable-mode PASID table pointer (HAW-1:12)
//
// PASID table entry (VT-d 9.6), eight qwords, q[0] lowest:
//   bit 0        P        present
//   bit 1        FPD      fault processing disable
//   bits 4:2     AW       second-level AGAW (levels = AW + 2, as legacy 9.3)
//   bit 5        SLEE     second-level execute enable
//   bits 8:6     PGTT     001 first-level, 010 second-level, 011 nested,
//                         100 pass-through; others reserved
//   bit 9        SLADE    second-level A/D enable
//   bits 11:10   reserved
//   bits 63:12   SLPTPTR  second-level page-table pointer (HAW-1:12)
//   bits 79:64   DID      domain id
//   bits 86:80   reserved (assumed)
//   bit 87       PWSNP    page-walk snoop
//   bit 88       PGSNP    page snoop
//   bits 127:89  CD, EMTE, EMT, PWT, PCD, PAT (memory typing; decoded raw)
//   bit 128      SRE      supervisor requests enable
//   bit 129      ERE      execute requests enable (assumed position)
//   bits 131:130 FLPM     first-level paging mode: 00 4-level, 01 5-level
//   bit 132      WPE      write protect enable (supervisor writes honour R/W)
//   bit 133      NXE      no-execute enable (XD is reserved when 0)
//   bit 134      SMEP     supervisor-mode execute protection (assumed position)
//   bit 135      EAFE     extended access flag enable
//   bits 139:136 reserved
//   bits 191:140 FLPTPTR  first-level page-table pointer (HAW-1:12)
//   bits 511:192 reserved (assumed: rev 3.x; checked as reserved)
// Verified positions: Linux drivers/iommu/intel/pasid.{h,c} (pasid_set_*:
// AW val[0] 4:2, PGTT val[0] 8:6, SSADE val[0] bit 9, DID val[1] 15:0,
// PWSNP val[1] bit 23, PGSNP val[1] bit 24, SRE val[2] bit 0, FLPM val[2] 3:2,
// WPE val[2] bit 4, NXE val[2] bit 5, EAFE val[2] bit 7, FLPTPTR val[2] 63:12)
// and QEMU (VTD_SM_PASID_ENTRY_PGTT 7 << 6; FL levels = 4 + FLPM).
#pragma once
#include <cstdint>

#include "common/types.h"
#include "vtd/root_entry.h"

namespace iommusim {

inline constexpr unsigned kPasidDirEntryBytes = 8;
inline constexpr unsigned kPasidEntryBytes = 64;
inline constexpr unsigned kPasidEntryQwords = 8;

// PGTT encodings (VT-d 9.6).
inline constexpr uint8_t kPgttFirstLevel = 1;
inline constexpr uint8_t kPgttSecondLevel = 2;
inline constexpr uint8_t kPgttNested = 3;
inline constexpr uint8_t kPgttPassThrough = 4;

// FLPM encodings (VT-d 9.6).
inline constexpr uint8_t kFlpm4Level = 0;
inline constexpr uint8_t kFlpm5Level = 1;

struct PasidDirEntry {
  bool present = false;
  bool fpd = false;
  Addr table = 0;  // SMPTBLPTR, 4 KiB aligned
  bool reserved_nonzero = false;

  static PasidDirEntry decode(uint64_t raw, unsigned haw);
  static uint64_t reserved_mask(unsigned haw) { return 0xffcull | ~haw_mask(haw); }
  uint64_t raw() const;
};

struct PasidEntry {
  bool present = false;
  bool fpd = false;
  uint8_t aw = 2;       // 3 bits
  bool slee = false;
  uint8_t pgtt = 0;     // 3 bits
  bool slade = false;
  Addr slptptr = 0;
  uint16_t did = 0;
  bool pwsnp = false, pgsnp = false;
  bool sre = false, ere = false;
  uint8_t flpm = kFlpm4Level;  // 2 bits
  bool wpe = false, nxe = false, smep = false, eafe = false;
  Addr flptptr = 0;
  bool reserved_nonzero = false;  // meaningful when present

  static PasidEntry decode(const uint64_t q[kPasidEntryQwords], unsigned haw);
  // Reserved bits of qword `i` for an entry with this PGTT: pointer bits at
  // and above HAW count only for the pointers PGTT uses (SLPTPTR for 010/011,
  // FLPTPTR for 001/011).
  static uint64_t reserved_mask(unsigned i, uint8_t pgtt, unsigned haw);

  bool uses_first_level() const { return pgtt == kPgttFirstLevel || pgtt == kPgttNested; }
  bool uses_second_level() const { return pgtt == kPgttSecondLevel || pgtt == kPgttNested; }
  unsigned sl_levels() const { return aw + 2u; }
  unsigned fl_levels() const { return 4u + flpm; }

  // Encoders: reserved bits 0, fields truncated to their widths.
  uint64_t q(unsigned i) const;
};

}  // namespace iommusim
