// Legacy-mode context entry, VT-d 9.3. A context table is 4 KiB of 256
// entries of 128 bits, indexed by devfn, at the root entry's CTP.
//
//   bit 0        P        present. When 0 every other field except FPD is
//                         ignored (FPD still decides whether a context-entry-
//                         not-present fault is recorded).
//   bit 1        FPD      fault processing disable (qualified faults only)
//   bits 3:2     TT       translation type, kTt* below
//   bits 11:4    reserved
//   bits 63:12   SLPTPTR  second-level page-table pointer (HAW-1:12; above reserved)
//   bits 66:64   AW       adjusted guest address width, kAw* below
//   bits 70:67   ignored
//   bit 71       reserved
//   bits 87:72   DID      domain identifier
//   bits 127:88  reserved
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

inline constexpr unsigned kContextEntryBytes = 16;

// TT encodings (VT-d 9.3).
inline constexpr uint8_t kTtUntranslatedOnly = 0;  // SL translation; ATS requests blocked
inline constexpr uint8_t kTtDeviceTlb = 1;         // as 0 plus translation/translated requests (ECAP.DT)
inline constexpr uint8_t kTtPassThrough = 2;       // untranslated passed through (ECAP.PT)
inline constexpr uint8_t kTtReserved = 3;

// AW encodings (VT-d 9.3) and the matching CAP.SAGAW bit (VT-d 11.4.2): AW = n
// selects a (n + 2)-level table with a 30 + 9n bit AGAW, supported when SAGAW
// bit n is set. 000b (30-bit) and 100b (64-bit) are reserved in rev 3+.
inline constexpr uint8_t kAw39 = 1;  // 3-level
inline constexpr uint8_t kAw48 = 2;  // 4-level
inline constexpr uint8_t kAw57 = 3;  // 5-level
inline constexpr uint8_t kSagaw39 = 1u << kAw39;
inline constexpr uint8_t kSagaw48 = 1u << kAw48;
inline constexpr uint8_t kSagaw57 = 1u << kAw57;

struct ContextEntry {
  bool present = false;
  bool fpd = false;
  uint8_t tt = kTtUntranslatedOnly;  // 2 bits
  Addr slptptr = 0;                  // 4 KiB aligned
  uint8_t aw = kAw48;                // 3 bits
  uint16_t did = 0;
  bool reserved_nonzero = false;     // meaningful when present

  static ContextEntry decode(uint64_t lo, uint64_t hi, unsigned haw);
  static uint64_t reserved_mask_lo(unsigned haw);  // bits 11:4, 63:HAW
  static constexpr uint64_t reserved_mask_hi() {   // bits 127:88, 71
    return 0xffffffffff000080ull;
  }

  // Paging levels (AW + 2) and AGAW bits (30 + 9 AW) the AW field selects.
  unsigned levels() const { return aw + 2u; }
  unsigned agaw_bits() const { return 30u + 9u * aw; }
  // AW is one of the SAGAW-supported values (bit `aw` of `sagaw`).
  bool aw_supported(uint8_t sagaw) const { return aw < 8 && ((sagaw >> aw) & 1); }

  // Encoders: reserved bits 0, fields truncated to their widths.
  uint64_t lo() const;
  uint64_t hi() const;
};

}  // namespace iommusim
