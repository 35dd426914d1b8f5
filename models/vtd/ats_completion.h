// PCIe Address Translation Services formats (PCIe Base Specification 4.0+,
// chapter 10 "ATS Specification"), as plain C++:
//
// Translation Completion Data Entry (10.2.3, Figure 10-12), one 64-bit value
// here (the TLP carries it as two DWs, upper address first):
//   bits 63:12  translated address
//   bit  11     S    size: 0 = 4 KiB; 1 = larger, encoded in the address (below)
//   bit  10     N    non-snooped accesses
//   bits 9:6    reserved
//   bit  5      Global
//   bit  4      Priv
//   bit  3      Exe
//   bit  2      U    untranslated access only
//   bit  1      W
//   bit  0      R
// R = W = 0 means the translation grants no access (not present, or no
// permission): the function must not use it.
//
// Range encoding with S = 1 (10.2.3.2, and the same in the Invalidate Request
// body, 10.3.1): the range is 2^(k+1) bytes, where k >= 12 is the lowest
// address bit that is 0; the bits below k are 1 and the range is naturally
// aligned. 8 KiB: bit 12 = 0; 2 MiB: bits 19:12 = 1, bit 20 = 0. All of bits
// 62:12 set (bit 63 clear) is the whole 2^64 space.
//
// The VT-d device-TLB invalidate descriptor (VT-d 6.5.2.5) encodes its range
// the same way (ADDR 63:12 and S), so one decoder serves both.
#pragma once
#include <cstdint>

#include "common/types.h"

namespace iommusim {

struct AtsCompletion {
  Addr addr = 0;   // translated address of the range's first byte (4 KiB aligned)
  unsigned shift = 12;  // log2 of the range size (12 = 4 KiB)
  bool r = false, w = false;
  bool u = false, n = false;
  bool exe = false, priv = false, global = false;

  // Encodes with S = (shift > 12) and the size bits set in the address.
  std::uint64_t encode() const;
  static AtsCompletion decode(std::uint64_t v);
};

struct AtsRange {
  Addr base = 0;
  unsigned shift = 12;  // log2 of the size; 64 = the whole space
  bool contains(Addr a) const {
    return shift >= 64 || (a >> shift) == (base >> shift);
  }
};

// Decodes ADDR[63:12] plus S as above.
AtsRange decode_ats_range(Addr addr, bool s);
// The address bits of a range of 2^shift bytes at base (S = shift > 12).
Addr encode_ats_range(Addr base, unsigned shift);

// The ATS Invalidate Request message body (PCIe 10.3.1, one 64-bit value
// here): untranslated address 63:12 with the range encoding above, and S in
// bit 11. The VT-d device-TLB invalidate descriptor passes its ADDR and S
// through unchanged (6.5.2.5).
inline constexpr Addr kAtsInvalidateS = Addr{1} << 11;
inline Addr encode_ats_invalidate(Addr addr, bool s) { return (addr & ~Addr{0xfff}) | (s ? kAtsInvalidateS : 0); }
inline AtsRange decode_ats_invalidate(std::uint64_t body) {
  return decode_ats_range(body & ~Addr{0xfff}, (body & kAtsInvalidateS) != 0);
}

}  // namespace iommusim
