#include "vtd/irte.h"

#include "vtd/root_entry.h"

namespace iommusim {

namespace {
constexpr uint64_t kImBit = uint64_t{1} << 15;
constexpr uint64_t kPdaLoMask = 0x3ffffffull;  // 26 bits: address 31:6
}  // namespace

// 14:12 and 31:24 always; xAPIC mode adds DST 7:0 (39:32) and DST 31:16 (63:48).
uint64_t Irte::remapped_reserved_lo(bool eime) {
  const uint64_t base = 0xff007000ull;
  return eime ? base : base | 0xffff00ff00000000ull;
}

uint64_t Irte::posted_reserved_hi(unsigned haw) {
  // PDA_H (hi bits 63:32) holds address bits 63:32 in place.
  return 0xfff00000ull | (~haw_mask(haw) & 0xffffffff00000000ull);
}

// VT-d 9.10 / 9.11 field positions (see the header).
Irte Irte::decode(uint64_t lo, uint64_t hi, bool eime, bool posting_supported, unsigned haw) {
  Irte e;
  e.present = lo & 1;
  e.fpd = (lo >> 1) & 1;
  e.posted = (lo & kImBit) != 0;
  e.avail = static_cast<uint8_t>((lo >> 8) & 0xf);
  e.vector = static_cast<uint8_t>((lo >> 16) & 0xff);
  e.sid = static_cast<uint16_t>(hi & 0xffff);
  e.sq = static_cast<uint8_t>((hi >> 16) & 3);
  e.svt = static_cast<uint8_t>((hi >> 18) & 3);
  bool rsvd = e.svt == kSvtReserved;
  if (e.posted && posting_supported) {
    e.urgent = (lo >> 14) & 1;
    e.pda = (((lo >> 38) & kPdaLoMask) << 6) | (hi & 0xffffffff00000000ull);
    rsvd = rsvd || (lo & posted_reserved_lo()) || (hi & posted_reserved_hi(haw));
  } else {
    e.dest_mode_logical = (lo >> 2) & 1;
    e.redirection_hint = (lo >> 3) & 1;
    e.level_trigger = (lo >> 4) & 1;
    e.delivery_mode = static_cast<uint8_t>((lo >> 5) & 7);
    e.dst = static_cast<uint32_t>(lo >> 32);
    // Without posting support IM is itself a reserved bit.
    rsvd = rsvd || e.posted || (lo & remapped_reserved_lo(eime)) ||
           (hi & remapped_reserved_hi());
  }
  e.reserved_nonzero = rsvd;
  return e;
}

uint64_t Irte::lo() const {
  uint64_t v = (present ? 1u : 0u) | (fpd ? 2u : 0u) | (uint64_t{avail & 0xfu} << 8) |
               (uint64_t{vector} << 16);
  if (posted) {
    v |= kImBit | (urgent ? uint64_t{1} << 14 : 0) | (((pda >> 6) & kPdaLoMask) << 38);
  } else {
    v |= (dest_mode_logical ? 4u : 0u) | (redirection_hint ? 8u : 0u) |
         (level_trigger ? 16u : 0u) | (uint64_t{delivery_mode & 7u} << 5) |
         (uint64_t{dst} << 32);
  }
  return v;
}

uint64_t Irte::hi() const {
  uint64_t v = uint64_t{sid} | (uint64_t{sq & 3u} << 16) | (uint64_t{svt & 3u} << 18);
  if (posted) v |= pda & 0xffffffff00000000ull;
  return v;
}

bool irte_source_valid(const Irte& e, uint16_t rid) {
  switch (e.svt) {
    case kSvtNone:
      return true;
    case kSvtRequesterId: {
      // SQ 01/10/11 leave function bits 2, 2:1, 2:0 out of the comparison
      // (same masks as QEMU's vtd_svt_mask).
      static constexpr uint16_t kMask[4] = {0xffff, 0xfffb, 0xfff9, 0xfff8};
      const uint16_t m = kMask[e.sq & 3];
      return (rid & m) == (e.sid & m);
    }
    case kSvtBusRange: {
      // SID[15:8] is the start bus, SID[7:0] the end bus (VT-d 9.10; Linux
      // set_irte_verify_bus writes (start_bus << 8) | end_bus).
      const unsigned bus = rid >> 8;
      const unsigned start = e.sid >> 8;
      const unsigned end = e.sid & 0xff;
      return bus >= start && bus <= end;
    }
    default:
      return false;
  }
}

}  // namespace iommusim
