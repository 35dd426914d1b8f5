#include "vtd/root_entry.h"

namespace iommusim {

namespace {
constexpr uint64_t kPageMask = ~uint64_t{0xfff};
}

// VT-d 9.1: bits 11:1 and 63:HAW of the low qword are reserved.
uint64_t RootEntry::reserved_mask_lo(unsigned haw) { return 0xffeull | ~haw_mask(haw); }

RootEntry RootEntry::decode(uint64_t lo, uint64_t hi, unsigned haw) {
  RootEntry e;
  e.present = lo & 1;
  e.ctp = lo & kPageMask & haw_mask(haw);
  e.reserved_nonzero = (lo & reserved_mask_lo(haw)) || (hi & reserved_mask_hi());
  return e;
}

uint64_t RootEntry::lo() const { return (ctp & kPageMask) | (present ? 1 : 0); }

// VT-d 9.2: low qword bits 11:1, high qword bits 11:1 (75:65), and the pointer
// bits at and above HAW in both.
uint64_t ScalableRootEntry::reserved_mask_lo(unsigned haw) { return 0xffeull | ~haw_mask(haw); }
uint64_t ScalableRootEntry::reserved_mask_hi(unsigned haw) { return 0xffeull | ~haw_mask(haw); }

ScalableRootEntry ScalableRootEntry::decode(uint64_t lo, uint64_t hi, unsigned haw) {
  ScalableRootEntry e;
  e.lower_present = lo & 1;
  e.upper_present = hi & 1;
  e.lctp = lo & kPageMask & haw_mask(haw);
  e.uctp = hi & kPageMask & haw_mask(haw);
  e.reserved_nonzero = (e.lower_present && (lo & reserved_mask_lo(haw))) ||
                       (e.upper_present && (hi & reserved_mask_hi(haw)));
  return e;
}

Addr ScalableRootEntry::context_entry_addr(uint8_t devfn) const {
  return devfn < 128 ? lctp + Addr{devfn} * kContextEntryBytes
                     : uctp + Addr(devfn - 128) * kContextEntryBytes;
}

uint64_t ScalableRootEntry::lo() const { return (lctp & kPageMask) | (lower_present ? 1 : 0); }
uint64_t ScalableRootEntry::hi() const { return (uctp & kPageMask) | (upper_present ? 1 : 0); }

}  // namespace iommusim
