#include "vtd/sm_context_entry.h"

#include "vtd/root_entry.h"

namespace iommusim {

// VT-d 9.4: qword 0 bits 8:5 and 63:HAW; qword 1 bits 63:21 (127:85);
// qwords 2 and 3 entirely.
uint64_t SmContextEntry::reserved_mask(unsigned qword, unsigned haw) {
  switch (qword) {
    case 0: return 0x1e0ull | ~haw_mask(haw);
    case 1: return ~uint64_t{0x1fffff};
    default: return ~uint64_t{0};
  }
}

SmContextEntry SmContextEntry::decode(const uint64_t q[4], unsigned haw) {
  SmContextEntry e;
  e.present = q[0] & 1;
  e.fpd = (q[0] >> 1) & 1;
  e.dte = (q[0] >> 2) & 1;
  e.paside = (q[0] >> 3) & 1;
  e.pre = (q[0] >> 4) & 1;
  e.pdts = static_cast<uint8_t>((q[0] >> 9) & 7);
  e.pasid_dir_ptr = q[0] & ~uint64_t{0xfff} & haw_mask(haw);
  e.rid_pasid = static_cast<uint32_t>(q[1] & 0xfffff);
  e.rid_priv = (q[1] >> 20) & 1;
  for (unsigned i = 0; i < 4; ++i)
    if (q[i] & reserved_mask(i, haw)) e.reserved_nonzero = true;
  return e;
}

uint64_t SmContextEntry::q0() const {
  return (pasid_dir_ptr & ~uint64_t{0xfff}) | (uint64_t{pdts & 7u} << 9) | (pre ? 0x10u : 0u) |
         (paside ? 8u : 0u) | (dte ? 4u : 0u) | (fpd ? 2u : 0u) | (present ? 1u : 0u);
}

uint64_t SmContextEntry::q1() const {
  return (uint64_t{rid_pasid} & 0xfffff) | (rid_priv ? uint64_t{1} << 20 : 0);
}

}  // namespace iommusim
