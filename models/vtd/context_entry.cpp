#include "vtd/context_entry.h"

#include "vtd/root_entry.h"

namespace iommusim {

uint64_t ContextEntry::reserved_mask_lo(unsigned haw) { return 0xff0ull | ~haw_mask(haw); }

// VT-d 9.3 field positions (see the header).
ContextEntry ContextEntry::decode(uint64_t lo, uint64_t hi, unsigned haw) {
  ContextEntry e;
  e.present = lo & 1;
  e.fpd = (lo >> 1) & 1;
  e.tt = static_cast<uint8_t>((lo >> 2) & 3);
  e.slptptr = lo & ~uint64_t{0xfff} & haw_mask(haw);
  e.aw = static_cast<uint8_t>(hi & 7);
  e.did = static_cast<uint16_t>((hi >> 8) & 0xffff);
  e.reserved_nonzero = (lo & reserved_mask_lo(haw)) || (hi & reserved_mask_hi());
  return e;
}

uint64_t ContextEntry::lo() const {
  return (slptptr & ~uint64_t{0xfff}) | (uint64_t{tt & 3u} << 2) | (fpd ? 2u : 0u) |
         (present ? 1u : 0u);
}

uint64_t ContextEntry::hi() const { return (uint64_t{did} << 8) | (aw & 7u); }

}  // namespace iommusim
