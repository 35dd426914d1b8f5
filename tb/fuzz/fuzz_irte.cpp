// Fuzzes the IRTE decoder (models/vtd/irte.*). Input: 1 byte of options
// (EIME, posting supported), 1 byte HAW, then the entry's two qwords.
//
// Invariants:
//  * reserved_nonzero is exactly "a reserved bit of the entry's format is set,
//    or SVT = 11b, or IM = 1 without posting support" (masks from the header);
//  * an entry without reserved bits re-encodes (lo(), hi()) to the input, and
//    that encoding decodes to the same fields;
//  * destination(): xAPIC mode gives DST[15:8] (< 256), x2APIC the whole DST;
//  * source validation with SVT = 00 accepts every requester; SVT = 01 with
//    SQ = 00 accepts exactly SID; SVT = 10 accepts exactly the bus range.
#include <cstdint>

#include "fuzz_check.h"
#include "vtd/irte.h"

using namespace iommusim;

namespace {

bool same(const Irte& a, const Irte& b) {
  return a.present == b.present && a.fpd == b.fpd && a.posted == b.posted && a.avail == b.avail &&
         a.vector == b.vector && a.sid == b.sid && a.sq == b.sq && a.svt == b.svt &&
         a.dest_mode_logical == b.dest_mode_logical && a.redirection_hint == b.redirection_hint &&
         a.level_trigger == b.level_trigger && a.delivery_mode == b.delivery_mode && a.dst == b.dst &&
         a.urgent == b.urgent && a.pda == b.pda && a.reserved_nonzero == b.reserved_nonzero;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iommusim_fuzz::ByteSource in(data, size);
  const uint8_t opt = in.u8();
  const bool eime = opt & 1, pi = opt & 2;
  const unsigned haw = 32 + in.u8() % 33;  // 32..64
  const uint64_t lo = in.u64(), hi = in.u64();
  const uint16_t rid = static_cast<uint16_t>(in.u64());

  const Irte e = Irte::decode(lo, hi, eime, pi, haw);
  const bool im = lo & (1u << 15);
  const unsigned svt = (hi >> 18) & 3;
  bool rsvd = svt == kSvtReserved;
  if (im && pi)
    rsvd = rsvd || (lo & Irte::posted_reserved_lo()) || (hi & Irte::posted_reserved_hi(haw));
  else
    rsvd = rsvd || im || (lo & Irte::remapped_reserved_lo(eime)) || (hi & Irte::remapped_reserved_hi());
  FUZZ_CHECK(e.reserved_nonzero == rsvd, "reserved_nonzero %d, masks say %d (lo %#llx hi %#llx)", e.reserved_nonzero,
             rsvd, (unsigned long long)lo, (unsigned long long)hi);
  FUZZ_CHECK(e.present == (lo & 1), "P");
  FUZZ_CHECK(e.vector == ((lo >> 16) & 0xff) && e.sid == (hi & 0xffff), "vector / SID");

  if (!e.reserved_nonzero) {
    FUZZ_CHECK(e.lo() == lo && e.hi() == hi, "re-encodes to %#llx %#llx, input %#llx %#llx",
               (unsigned long long)e.lo(), (unsigned long long)e.hi(), (unsigned long long)lo,
               (unsigned long long)hi);
    FUZZ_CHECK(same(Irte::decode(e.lo(), e.hi(), eime, pi, haw), e), "encoding decodes differently");
    if (!e.posted) {
      FUZZ_CHECK(e.destination(false) < 256, "xAPIC destination above 255");
      FUZZ_CHECK(Irte::make_dst(e.destination(eime), eime) == e.dst, "make_dst does not invert destination");
    } else {
      FUZZ_CHECK(e.pda % 64 == 0 && (haw >= 64 || (e.pda >> haw) == 0), "PDA alignment or width");
    }
  }
  const bool ok = irte_source_valid(e, rid);
  if (e.svt == kSvtNone) FUZZ_CHECK(ok, "SVT 00 refused a requester");
  if (e.svt == kSvtRequesterId && e.sq == kSqAll) FUZZ_CHECK(ok == (rid == e.sid), "SVT 01 SQ 00");
  if (e.svt == kSvtBusRange)
    FUZZ_CHECK(ok == ((rid >> 8) >= (e.sid >> 8) && (rid >> 8) <= (e.sid & 0xff)), "SVT 10 bus range");
  if (e.svt == kSvtReserved) FUZZ_CHECK(!ok, "SVT 11 accepted");
  return 0;
}
