// Root-table entries: legacy (VT-d 9.1) and scalable-mode (VT-d 9.2).
// The root table is 4 KiB of 256 entries of 128 bits, indexed by bus number,
// at RTADDR_REG.RTA (VT-d 3.4.1 legacy, 3.4.2 scalable mode).
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kRootEntryBytes = 16;

// Bits [haw-1:0] set: the host address width mask (HAW = CAP.MGAW-independent
// physical width, 39..52). Bits at and above `haw` of a pointer are reserved.
inline constexpr uint64_t haw_mask(unsigned haw) {
  return haw >= 64 ? ~uint64_t{0} : (uint64_t{1} << haw) - 1;
}

// Legacy root entry, VT-d 9.1:
//   bit 0       P    present
//   bits 11:1   reserved
//   bits 63:12  CTP  context-table pointer (bits HAW-1:12; 63:HAW reserved)
//   bits 127:64 reserved
struct RootEntry {
  bool present = false;
  Addr ctp = 0;                   // 4 KiB aligned
  bool reserved_nonzero = false;  // meaningful when present

  static RootEntry decode(uint64_t lo, uint64_t hi, unsigned haw);
  // Reserved-bit masks of the two qwords for a host address width.
  static uint64_t reserved_mask_lo(unsigned haw);
  static constexpr uint64_t reserved_mask_hi() { return ~uint64_t{0}; }

  uint64_t lo() const;  // encode (reserved bits 0; ctp bits 11:0 dropped)
  uint64_t hi() const { return 0; }
};

// Scalable-mode root entry, VT-d 9.2:
//   bit 0        LP    lower present
//   bits 11:1    reserved
//   bits 63:12   LCTP  lower context-table pointer (devfn 0..127)
//   bit 64       UP    upper present
//   bits 75:65   reserved
//   bits 127:76  UCTP  upper context-table pointer (devfn 128..255)
// Pointers above HAW-1 are reserved. Scalable-mode context entries are 256
// bits, so each context table holds 128 of them (VT-d 9.4).
struct ScalableRootEntry {
  bool lower_present = false, upper_present = false;
  Addr lctp = 0, uctp = 0;
  bool reserved_nonzero = false;  // in either half (each checked if present)

  static constexpr unsigned kContextEntryBytes = 32;

  static ScalableRootEntry decode(uint64_t lo, uint64_t hi, unsigned haw);
  static uint64_t reserved_mask_lo(unsigned haw);
  static uint64_t reserved_mask_hi(unsigned haw);

  // Present bit and table for a devfn (lower half for devfn < 128).
  bool present_for(uint8_t devfn) const { return devfn < 128 ? lower_present : upper_present; }
  // Address of the devfn's 256-bit scalable-mode context entry.
  Addr context_entry_addr(uint8_t devfn) const;

  uint64_t lo() const;
  uint64_t hi() const;
};

}  // namespace iommusim
