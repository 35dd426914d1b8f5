#include "vtd/ats_completion.h"

namespace iommusim {

namespace {

constexpr Addr kPageMask = ~Addr{0xfff};

}  // namespace

std::uint64_t AtsCompletion::encode() const {
  std::uint64_t v = encode_ats_range(addr, shift);
  if (shift > 12) v |= 1u << 11;
  if (n) v |= 1u << 10;
  if (global) v |= 1u << 5;
  if (priv) v |= 1u << 4;
  if (exe) v |= 1u << 3;
  if (u) v |= 1u << 2;
  if (w) v |= 1u << 1;
  if (r) v |= 1u << 0;
  return v;
}

AtsCompletion AtsCompletion::decode(std::uint64_t v) {
  AtsCompletion c;
  const AtsRange range = decode_ats_range(v & kPageMask, (v >> 11) & 1);
  c.addr = range.shift >= 64 ? 0 : range.base;
  c.shift = range.shift;
  c.n = (v >> 10) & 1;
  c.global = (v >> 5) & 1;
  c.priv = (v >> 4) & 1;
  c.exe = (v >> 3) & 1;
  c.u = (v >> 2) & 1;
  c.w = (v >> 1) & 1;
  c.r = v & 1;
  return c;
}

AtsRange decode_ats_range(Addr addr, bool s) {
  AtsRange r;
  addr &= kPageMask;
  if (!s) {
    r.base = addr;
    r.shift = 12;
    return r;
  }
  unsigned k = 12;
  while (k < 64 && ((addr >> k) & 1)) ++k;
  r.shift = k + 1;
  if (r.shift >= 64) {
    r.shift = 64;
    r.base = 0;
    return r;
  }
  r.base = addr & ~((Addr{1} << r.shift) - 1);
  return r;
}

Addr encode_ats_range(Addr base, unsigned shift) {
  if (shift >= 64) return ~Addr{0} >> 1 & kPageMask;  // bits 62:12 set
  const Addr aligned = base & ~((Addr{1} << shift) - 1) & kPageMask;
  if (shift <= 12) return aligned;
  // Bits 12 .. shift-2 set, bit shift-1 clear.
  return aligned | (((Addr{1} << (shift - 1)) - 1) & kPageMask);
}

}  // namespace iommusim
