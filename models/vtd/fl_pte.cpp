#include "vtd/fl_pte.h"

#include "vtd/root_entry.h"

namespace iommusim {

FlPte FlPte::decode(uint64_t raw) {
  FlPte e;
  e.p = raw & kP;
  e.rw = raw & kRw;
  e.us = raw & kUs;
  e.pwt = raw & kPwt;
  e.pcd = raw & kPcd;
  e.a = raw & kA;
  e.d = raw & kD;
  e.ps = raw & kPs;
  e.g = raw & kG;
  e.xd = raw & kXd;
  e.addr = raw & kAddrMask;
  return e;
}

uint64_t FlPte::raw() const {
  return (p ? kP : 0) | (rw ? kRw : 0) | (us ? kUs : 0) | (pwt ? kPwt : 0) | (pcd ? kPcd : 0) |
         (a ? kA : 0) | (d ? kD : 0) | (ps ? kPs : 0) | (g ? kG : 0) | (xd ? kXd : 0) |
         (addr & kAddrMask);
}

// VT-d 9.7. All levels: address bits 51:HAW, XD when NXE = 0. Levels 4/5: PS.
// Level 3 with PS=1: reserved without FL1GP, else address bits 29:13.
// Level 2 with PS=1: address bits 20:13.
uint64_t fl_reserved_mask(unsigned level, bool ps, unsigned haw, const FlCaps& caps) {
  uint64_t m = FlPte::kAddrMask & ~haw_mask(haw);
  if (!caps.nxe) m |= FlPte::kXd;
  if (level >= 4) return m | FlPte::kPs;
  if (level == 3 && ps) return m | (caps.sp_1g ? 0x3fffe000ull : FlPte::kPs);
  if (level == 2 && ps) return m | 0x1fe000ull;
  return m;
}

uint64_t fl_make_table(Addr next_table, bool rw, bool us, bool xd) {
  FlPte e;
  e.p = true;
  e.rw = rw;
  e.us = us;
  e.xd = xd;
  e.addr = next_table;
  return e.raw();
}

uint64_t fl_make_page(Addr frame, unsigned level, bool rw, bool us, bool xd) {
  FlPte e;
  e.p = true;
  e.rw = rw;
  e.us = us;
  e.xd = xd;
  e.ps = level == 2 || level == 3;
  e.addr = frame;
  return e.raw();
}

}  // namespace iommusim
