#include "vtd/pasid_entry.h"

#include "vtd/root_entry.h"

namespace iommusim {

namespace {
constexpr uint64_t kPage = ~uint64_t{0xfff};
constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }
}  // namespace

// VT-d 9.5.
PasidDirEntry PasidDirEntry::decode(uint64_t raw, unsigned haw) {
  PasidDirEntry e;
  e.present = raw & 1;
  e.fpd = (raw >> 1) & 1;
  e.table = raw & kPage & haw_mask(haw);
  e.reserved_nonzero = raw & reserved_mask(haw);
  return e;
}

uint64_t PasidDirEntry::raw() const { return (table & kPage) | (fpd ? 2u : 0u) | (present ? 1u : 0u); }

// VT-d 9.6 (see the header for which positions are assumed).
uint64_t PasidEntry::reserved_mask(unsigned i, uint8_t pgtt, unsigned haw) {
  const bool sl = pgtt == kPgttSecondLevel || pgtt == kPgttNested;
  const bool fl = pgtt == kPgttFirstLevel || pgtt == kPgttNested;
  switch (i) {
    case 0: return 0xc00ull | (sl ? ~haw_mask(haw) : 0);
    case 1: return 0x7full << 16;
    case 2: return 0xf00ull | (fl ? ~haw_mask(haw) : 0);
    default: return ~uint64_t{0};
  }
}

PasidEntry PasidEntry::decode(const uint64_t q[kPasidEntryQwords], unsigned haw) {
  PasidEntry e;
  e.present = q[0] & 1;
  e.fpd = (q[0] >> 1) & 1;
  e.aw = static_cast<uint8_t>((q[0] >> 2) & 7);
  e.slee = (q[0] >> 5) & 1;
  e.pgtt = static_cast<uint8_t>((q[0] >> 6) & 7);
  e.slade = (q[0] >> 9) & 1;
  e.slptptr = q[0] & kPage & haw_mask(haw);
  e.did = static_cast<uint16_t>(q[1] & 0xffff);
  e.pwsnp = (q[1] >> 23) & 1;
  e.pgsnp = (q[1] >> 24) & 1;
  e.sre = q[2] & 1;
  e.ere = (q[2] >> 1) & 1;
  e.flpm = static_cast<uint8_t>((q[2] >> 2) & 3);
  e.wpe = (q[2] >> 4) & 1;
  e.nxe = (q[2] >> 5) & 1;
  e.smep = (q[2] >> 6) & 1;
  e.eafe = (q[2] >> 7) & 1;
  e.flptptr = q[2] & kPage & haw_mask(haw);
  for (unsigned i = 0; i < kPasidEntryQwords; ++i)
    if (q[i] & reserved_mask(i, e.pgtt, haw)) e.reserved_nonzero = true;
  return e;
}

uint64_t PasidEntry::q(unsigned i) const {
  switch (i) {
    case 0:
      return (slptptr & kPage) | (slade ? bit(9) : 0) | (uint64_t{pgtt & 7u} << 6) |
             (slee ? bit(5) : 0) | (uint64_t{aw & 7u} << 2) | (fpd ? bit(1) : 0) |
             (present ? bit(0) : 0);
    case 1: return uint64_t{did} | (pwsnp ? bit(23) : 0) | (pgsnp ? bit(24) : 0);
    case 2:
      return (flptptr & kPage) | (eafe ? bit(7) : 0) | (smep ? bit(6) : 0) | (nxe ? bit(5) : 0) |
             (wpe ? bit(4) : 0) | (uint64_t{flpm & 3u} << 2) | (ere ? bit(1) : 0) |
             (sre ? bit(0) : 0);
    default: return 0;
  }
}

}  // namespace iommusim
