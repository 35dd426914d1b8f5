// Second-level paging entries (SL-PML5E, SL-PML4E, SL-PDPE, SL-PDE, SL-PTE),
// VT-d 9.8. Levels are numbered as the walker sees them: 1 = SL-PTE (4 KiB
// pages), 2 = SL-PDE (PS=1: 2 MiB), 3 = SL-PDPE (PS=1: 1 GiB), 4 = SL-PML4E,
// 5 = SL-PML5E. Each table is 4 KiB of 512 entries; 9 index bits per level.
//
//   bit 0       R     read
//   bit 1       W     write
//   bit 2       X     execute (only used with ECAP.SLEE; never reserved)
//   bits 5:3    EMT   memory type (leaves; ignored in non-leaf entries)
//   bit 6       IPAT  ignore PAT (leaves; ignored in non-leaf entries)
//   bit 7       PS    page size: levels 2/3 (leaf if 1); reserved at levels
//                     4/5 and at a level whose size CAP.SLLPS lacks; ignored
//                     in an SL-PTE (level 1), which is always a leaf
//   bits 10:8   ignored (A/D in scalable mode; not used here)
//   bit 11      SNP   snoop (leaves, reserved when ECAP.SC = 0);
//                     reserved in non-leaf entries
//   bits 51:12  ADDR  next table or page frame, bits HAW-1:12; bits 51:HAW
//                     reserved; for a 2 MiB leaf bits 20:12, for a 1 GiB leaf
//                     bits 29:12 are reserved
//   bits 61:52  ignored
//   bit 62      TM    transient mapping (leaves, reserved when ECAP.DT = 0);
//                     reserved in non-leaf entries
//   bit 63      ignored
//
// An entry with R = W = 0 is not present; reserved bits are only checked in
// present entries (VT-d 7.1.3, fault 0xC).
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kSlEntryBytes = 8;
inline constexpr unsigned kSlIndexBits = 9;

// Bits of the input address below the region one entry at `level` maps:
// 12 at level 1, 21 at level 2, 30 at level 3, ...
inline constexpr unsigned sl_level_shift(unsigned level) { return 12 + kSlIndexBits * (level - 1); }
inline constexpr uint64_t sl_level_size(unsigned level) { return uint64_t{1} << sl_level_shift(level); }
// The entry index (0..511) the input address selects at `level`.
inline constexpr unsigned sl_index(Addr iova, unsigned level) {
  return static_cast<unsigned>((iova >> sl_level_shift(level)) & 0x1ff);
}

// Hardware capabilities that change which bits are reserved.
struct SlCaps {
  bool sp_2m = true;  // CAP.SLLPS bit 0: 2 MiB pages
  bool sp_1g = true;  // CAP.SLLPS bit 1: 1 GiB pages
  bool sc = true;     // ECAP.SC: SNP is a field (else reserved)
  bool dt = true;     // ECAP.DT: TM is a field (else reserved)
};

struct SlPte {
  bool r = false, w = false, x = false;
  uint8_t emt = 0;  // 3 bits
  bool ipat = false;
  bool ps = false;
  bool snp = false;
  bool tm = false;
  Addr addr = 0;  // ADDR field, bits 51:12 of the entry (not masked by HAW)

  static constexpr uint64_t kR = 1ull << 0, kW = 1ull << 1, kX = 1ull << 2, kIpat = 1ull << 6,
                            kPs = 1ull << 7, kSnp = 1ull << 11, kTm = 1ull << 62;
  static constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;  // bits 51:12

  static SlPte decode(uint64_t raw);
  uint64_t raw() const;  // encode

  bool present() const { return r || w; }

  // Is an entry at `level` with this PS value a leaf, as the walker reads it
  // (level 1 always; PS=1 at 2 and 3)? Whether that size is supported is a
  // reserved-bit question, see sl_reserved_mask.
  static bool is_leaf(unsigned level, bool ps) { return level == 1 || (ps && (level == 2 || level == 3)); }
};

// Reserved bits of a present entry at `level` (1..5) whose PS bit is `ps`,
// for host address width `haw` and the capabilities `caps` (VT-d 9.8).
uint64_t sl_reserved_mask(unsigned level, bool ps, unsigned haw, const SlCaps& caps = {});

// Convenience encoders for tests and the host driver model.
uint64_t sl_make_table(Addr next_table, bool r = true, bool w = true);
uint64_t sl_make_page(Addr frame, unsigned level, bool r = true, bool w = true);  // PS set at 2/3

}  // namespace iommusim
