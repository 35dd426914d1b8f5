// Unit tests of the register-field, remappable-MSI, posted-descriptor and ATS
// invalidate formats (models/vtd/register_fields.h, remappable_msi.h,
// posted_descriptor.h, ats_completion.h), each against bit layouts written out
// from the VT-d and PCIe specifications.
#include <catch2/catch.hpp>

#include "vtd/ats_completion.h"
#include "vtd/posted_descriptor.h"
#include "vtd/register_fields.h"
#include "vtd/remappable_msi.h"

using namespace iommusim;

TEST_CASE("vtd: RTADDR decodes RTA 63:12 and TTM 11:10, and encodes back", "[unit][vtd]") {
  const RootTablePointer r = RootTablePointer::decode(0x0000'0012'3456'7000ull | (1ull << 10) | 0x3ff);
  CHECK(r.address == 0x12'3456'7000ull);
  CHECK(r.ttm == reg::kTtmScalable);
  CHECK(r.encode() == (0x12'3456'7000ull | (1ull << 10)));
  CHECK(RootTablePointer{0x1000, reg::kTtmAbortDma}.encode() == 0x1c00);
}

TEST_CASE("vtd: IRTA decodes IRTA 63:12, EIME 11 and S 3:0, and encodes back", "[unit][vtd]") {
  const InterruptRemapTablePointer p = InterruptRemapTablePointer::decode(0xabc000ull | (1ull << 11) | 0x7);
  CHECK(p.address == 0xabc000ull);
  CHECK(p.eime);
  CHECK(p.size == 7);
  CHECK(p.encode() == (0xabc000ull | (1ull << 11) | 0x7));
  CHECK(InterruptRemapTablePointer{0x5000, false, 0xff}.encode() == 0x500f);  // S is 4 bits
}

TEST_CASE("vtd: FRCD encodes F, T, AT, FR, SID, PP/PV/EXE/PRIV and the page address", "[unit][vtd]") {
  FaultRecord f;
  f.sid = 0x0318;
  f.addr = 0x1234'5678'9abcull;
  f.reason = 0x6;
  f.write = false;
  f.has_pasid = true;
  f.pasid = 0x12345;
  f.exec = true;
  f.priv = true;
  f.at = 2;
  const auto all = f.encode_frcd(true, true);
  CHECK(all[0] == 0x1234'5678'9000ull);
  CHECK(all[1] == ((1ull << 63) | (1ull << 62) | (2ull << 60) | (0x12345ull << 40) | (0x6ull << 32) | (1ull << 31) |
                   (1ull << 30) | (1ull << 29) | 0x0318));
  // Without ECAP.DT and ECAP.PASID: no AT, no PASID fields; a write has T = 0.
  f.write = true;
  const auto bare = f.encode_frcd(false, false);
  CHECK(bare[1] == ((1ull << 63) | (0x6ull << 32) | 0x0318));
}

TEST_CASE("vtd: remappable MSI handle, SHV, subhandle and interrupt index", "[unit][vtd]") {
  const Addr a = msi_remappable_address(0x8005, true);
  CHECK(a == 0xFEE0'00BCull);
  const RemappableMsi m = RemappableMsi::decode(a, 0x0003);
  CHECK(m.handle == 0x8005);
  CHECK(m.shv);
  CHECK(m.subhandle == 3);
  CHECK_FALSE(m.data_reserved);
  CHECK(m.index() == 0x8008);
  CHECK(RemappableMsi::decode(msi_remappable_address(9, false), 0x10002).index() == 9);  // no SHV: subhandle unused
  CHECK(RemappableMsi::decode(a, 0x10000).data_reserved);
  CHECK(msi_in_window(0xFEE0'0000ull));
  CHECK_FALSE(msi_in_window(0xFED0'0000ull));
  CHECK_FALSE(msi_in_window(0x1'FEE0'0000ull));
}

TEST_CASE("vtd: posted-interrupt descriptor fields", "[unit][vtd]") {
  PostedDescriptor d;
  d.q[4] = (0x0000'0300ull << 32) | (0xf2ull << 16) | 0x2;  // NDST 0x300, NV 0xf2, SN
  CHECK(d.ndst() == 0x300);
  CHECK(d.nv() == 0xf2);
  CHECK(d.sn());
  CHECK_FALSE(d.on());
  d.set_pir(0x41);
  d.set_on();
  CHECK(d.q[1] == (1ull << 1));
  CHECK(d.pir(0x41));
  CHECK_FALSE(d.pir(0x40));
  CHECK(d.on());
  CHECK(posted_notification_apic_id(0x300, false) == 0x03);
  CHECK(posted_notification_apic_id(0x300, true) == 0x300);
}

TEST_CASE("ats: invalidate request body carries ADDR 63:12 and S in bit 11", "[unit][vtd]") {
  CHECK(encode_ats_invalidate(0x12345fffull, false) == 0x12345000ull);
  CHECK(encode_ats_invalidate(0x12345fffull, true) == 0x12345800ull);
  const AtsRange page = decode_ats_invalidate(0x12345000ull);
  CHECK(page.base == 0x12345000ull);
  CHECK(page.shift == 12);
  // S = 1 with bits 19:12 set and 20 clear: a 2 MiB range.
  const AtsRange big = decode_ats_invalidate(encode_ats_invalidate(0x4000'0000ull | 0xff000ull, true));
  CHECK(big.shift == 21);
  CHECK(big.base == 0x4000'0000ull);
}
