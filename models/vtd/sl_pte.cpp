#include "vtd/sl_pte.h"

#include "vtd/root_entry.h"

namespace iommusim {

SlPte SlPte::decode(uint64_t raw) {
  SlPte e;
  e.r = raw & kR;
  e.w = raw & kW;
  e.x = raw & kX;
  e.emt = static_cast<uint8_t>((raw >> 3) & 7);
  e.ipat = raw & kIpat;
  e.ps = raw & kPs;
  e.snp = raw & kSnp;
  e.tm = raw & kTm;
  e.addr = raw & kAddrMask;
  return e;
}

uint64_t SlPte::raw() const {
  return (r ? kR : 0) | (w ? kW : 0) | (x ? kX : 0) | (uint64_t{emt & 7u} << 3) |
         (ipat ? kIpat : 0) | (ps ? kPs : 0) | (snp ? kSnp : 0) | (tm ? kTm : 0) |
         (addr & kAddrMask);
}

// VT-d 9.8. Common to every level: address bits 51:HAW. Non-leaf entries:
// SNP (11) and TM (62) positions, plus PS (7) at levels 4/5 or where the page
// size is unsupported. Leaves: SNP/TM when the capability is absent, and for
// superpages the address bits below the page boundary (20:12 or 29:12).
uint64_t sl_reserved_mask(unsigned level, bool ps, unsigned haw, const SlCaps& caps) {
  const uint64_t above_haw = SlPte::kAddrMask & ~haw_mask(haw);
  uint64_t m = above_haw;
  const bool size_supported = (level == 2 && caps.sp_2m) || (level == 3 && caps.sp_1g);
  if (level == 1 || (ps && size_supported)) {
    if (!caps.sc) m |= SlPte::kSnp;
    if (!caps.dt) m |= SlPte::kTm;
    if (level > 1) m |= (sl_level_size(level) - 1) & ~uint64_t{0xfff};
    return m;
  }
  m |= SlPte::kSnp | SlPte::kTm;
  if (level >= 4 || ps) m |= SlPte::kPs;  // PS=1 where no page of that size exists
  return m;
}

uint64_t sl_make_table(Addr next_table, bool r, bool w) {
  SlPte e;
  e.r = r;
  e.w = w;
  e.addr = next_table;
  return e.raw();
}

uint64_t sl_make_page(Addr frame, unsigned level, bool r, bool w) {
  SlPte e;
  e.r = r;
  e.w = w;
  e.ps = level == 2 || level == 3;
  e.addr = frame;
  return e.raw();
}

}  // namespace iommusim
