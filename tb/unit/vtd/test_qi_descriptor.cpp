// Queued-invalidation descriptor decoder and encoders (VT-d 6.5.2). Expected
// words are computed by hand from the layouts in VT-d 6.5.2.1 - 6.5.2.8 (see
// the comments at each case), independently of the implementation's masks.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "vtd/cap_ecap.h"
#include "vtd/qi_descriptor.h"

using namespace iommusim;

namespace {

QiCaps all_caps() {
  QiCaps c;
  c.device_tlb = true;
  c.interrupt_entry_cache = true;
  c.pasid_types = true;
  c.page_request_drain = true;
  return c;
}

QiDecode dec(uint64_t q0, uint64_t q1, bool w256 = true, const QiCaps& caps = all_caps(),
             uint64_t q2 = 0, uint64_t q3 = 0) {
  const uint64_t q[4] = {q0, q1, q2, q3};
  return decode_qi_descriptor(q, w256, caps);
}

QiDecode dec(const std::array<uint64_t, 4>& w, bool w256 = true, const QiCaps& caps = all_caps()) {
  return decode_qi_descriptor(w.data(), w256, caps);
}

constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return ((hi == 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi + 1)) - 1)) >> lo) << lo;
}

// One valid hand-written descriptor per type plus its reserved bits as the
// spec's figures list them (type bits 3:0 and 11:9 excluded).
struct Sample {
  const char* name;
  QiType type;
  uint64_t q0, q1;
  uint64_t rsvd0, rsvd1;
};

std::vector<Sample> samples() {
  return {
      // 6.5.2.1: G 5:4, rsvd 8:6, 15:12, DID 31:16, SID 47:32, FM 49:48, rsvd 63:50; q1 rsvd
      {"context-cache", QiType::ContextCache, 0x0002ABCD12340031ull, 0,
       bits(8, 6) | bits(15, 12) | bits(63, 50), ~uint64_t{0}},
      // 6.5.2.2: G 5:4, DW 6, DR 7, rsvd 8, 15:12, DID 31:16, rsvd 63:32;
      //          q1 AM 5:0, IH 6, rsvd 11:7, ADDR 63:12
      {"iotlb", QiType::Iotlb, 0x0000000000FF00F2ull, 0x00007FFFFFE00049ull,
       bits(8, 8) | bits(15, 12) | bits(63, 32), bits(11, 7)},
      // 6.5.2.5: rsvd 8:4, PFSID[3:0] 15:12, MIP 20:16, rsvd 31:21, SID 47:32,
      //          rsvd 51:48, PFSID[15:4] 63:52; q1 S 0, rsvd 11:1, ADDR 63:12
      {"device-tlb", QiType::DeviceTlb, 0xABC00310001F5003ull, 0x0000000012345001ull,
       bits(8, 4) | bits(31, 21) | bits(51, 48), bits(11, 1)},
      // 6.5.2.6: G 4, rsvd 8:5, 26:12, IM 31:27, IIDX 47:32, rsvd 63:48; q1 rsvd
      {"iec", QiType::InterruptEntryCache, 0x0000BEEFF8000014ull, 0,
       bits(8, 5) | bits(26, 12) | bits(63, 48), ~uint64_t{0}},
      // 6.5.2.8: IF 4, SW 5, FN 6, PD 7, rsvd 8, 31:12, data 63:32; q1 rsvd 1:0
      {"wait", QiType::Wait, 0xDEADBEEF00000075ull, 0x0000000123456788ull,
       bits(8, 8) | bits(31, 12), bits(1, 0)},
      // 6.5.2.4: G 5:4, rsvd 8:6, 15:12, DID 31:16, PASID 51:32, rsvd 63:52;
      //          q1 AM 5:0, IH 6, rsvd 11:7, ADDR 63:12
      {"pasid-iotlb", QiType::PasidIotlb, 0x000FFFFF00070036ull, 0xFFFFFFFFFFFFF07Full,
       bits(8, 6) | bits(15, 12) | bits(63, 52), bits(11, 7)},
      // 6.5.2.3: G 5:4, rsvd 8:6, 15:12, DID 31:16, PASID 51:32, rsvd 63:52; q1 rsvd
      {"pasid-cache", QiType::PasidCache, 0x0001234501000017ull, 0,
       bits(8, 6) | bits(15, 12) | bits(63, 52), ~uint64_t{0}},
      // 6.5.2.7: MIP 8:4, PFSID[3:0] 15:12, SID 31:16, PASID 51:32, PFSID[15:4] 63:52;
      //          q1 G 0, rsvd 10:1, S 11, ADDR 63:12
      {"pasid-device-tlb", QiType::PasidDeviceTlb, 0x010000420A0B1158ull, 0x00000000ABCDE801ull,
       0, bits(10, 1)},
  };
}

constexpr uint64_t kTypeBits = bits(3, 0) | bits(11, 9);

}  // namespace

// ---------------------------------------------------------------------------
// Field decoding, one case per type
// ---------------------------------------------------------------------------

TEST_CASE("qi: context-cache descriptor fields (6.5.2.1)", "[unit][qi]") {
  // G=11 device, DID 0x1234, SID 0xABCD, FM 10b
  auto r = dec(0x0002ABCD12340031ull, 0, false);
  REQUIRE(r.ok());
  CHECK(r.desc.type == QiType::ContextCache);
  CHECK(r.desc.cc_granularity == ContextGranularity::Device);
  CHECK(r.desc.did == 0x1234);
  CHECK(r.desc.sid == 0xABCD);
  CHECK(r.desc.fm == 2);

  r = dec(0x11, 0, false);
  REQUIRE(r.ok());
  CHECK(r.desc.cc_granularity == ContextGranularity::Global);

  r = dec(0x0000000000420021ull, 0, false);
  REQUIRE(r.ok());
  CHECK(r.desc.cc_granularity == ContextGranularity::Domain);
  CHECK(r.desc.did == 0x42);

  // G=00 is a reserved encoding -> invalid descriptor
  r = dec(0x0000000000420001ull, 0, false);
  CHECK(r.error == QiDecodeError::ReservedBits);
  CHECK(r.desc.type == QiType::ContextCache);
}

TEST_CASE("qi: IOTLB descriptor fields (6.5.2.2)", "[unit][qi]") {
  // G=11 page, DW, DR, DID 0xFF; ADDR 0x7FFFFFE00000, IH, AM 9
  auto r = dec(0x0000000000FF00F2ull, 0x00007FFFFFE00049ull, false);
  REQUIRE(r.ok());
  const auto& d = r.desc;
  CHECK(d.type == QiType::Iotlb);
  CHECK(d.iotlb_granularity == IotlbGranularity::Page);
  CHECK(d.dw);
  CHECK(d.dr);
  CHECK(d.did == 0xFF);
  CHECK(d.addr == 0x00007FFFFFE00000ull);
  CHECK(d.ih);
  CHECK(d.am == 9);

  r = dec(0x12, 0, false);  // global, no drains
  REQUIRE(r.ok());
  CHECK(r.desc.iotlb_granularity == IotlbGranularity::Global);
  CHECK_FALSE(r.desc.dw);
  CHECK_FALSE(r.desc.dr);

  r = dec(0x0000000000050022ull, 0, false);  // domain 5
  REQUIRE(r.ok());
  CHECK(r.desc.iotlb_granularity == IotlbGranularity::Domain);
  CHECK(r.desc.did == 5);

  r = dec(0x0000000000050002ull, 0, false);  // G=00 reserved
  CHECK(r.error == QiDecodeError::ReservedBits);
}

TEST_CASE("qi: device-TLB descriptor fields (6.5.2.5)", "[unit][qi]") {
  // PFSID 0xABC5 (bits 15:12 = 5, 63:52 = 0xABC), MIP 0x1F, SID 0x0310; S=1, ADDR 0x12345000
  auto r = dec(0xABC00310001F5003ull, 0x0000000012345001ull, false);
  REQUIRE(r.ok());
  const auto& d = r.desc;
  CHECK(d.type == QiType::DeviceTlb);
  CHECK(d.pfsid == 0xABC5);
  CHECK(d.mip == 0x1F);
  CHECK(d.sid == 0x0310);
  CHECK(d.size);
  CHECK(d.addr == 0x12345000ull);

  r = dec(0x0000001800000003ull, 0xFFFFFFFFFFFFF000ull, false);  // SID 0x18, S=0, top address
  REQUIRE(r.ok());
  CHECK(r.desc.sid == 0x18);
  CHECK(r.desc.pfsid == 0);
  CHECK(r.desc.mip == 0);
  CHECK_FALSE(r.desc.size);
  CHECK(r.desc.addr == 0xFFFFFFFFFFFFF000ull);
}

TEST_CASE("qi: interrupt-entry-cache descriptor fields (6.5.2.6)", "[unit][qi]") {
  // G=1 index-selective, IM 0x1F, IIDX 0xBEEF
  auto r = dec(0x0000BEEFF8000014ull, 0, false);
  REQUIRE(r.ok());
  CHECK(r.desc.type == QiType::InterruptEntryCache);
  CHECK(r.desc.iec_granularity == IecGranularity::Index);
  CHECK(r.desc.im == 0x1F);
  CHECK(r.desc.iidx == 0xBEEF);

  r = dec(0x4, 0, false);  // G=0 global
  REQUIRE(r.ok());
  CHECK(r.desc.iec_granularity == IecGranularity::Global);
  CHECK(r.desc.im == 0);
  CHECK(r.desc.iidx == 0);

  r = dec(0x0000000118000014ull, 0, false);  // IM 3, IIDX 1
  REQUIRE(r.ok());
  CHECK(r.desc.im == 3);
  CHECK(r.desc.iidx == 1);
}

TEST_CASE("qi: invalidation wait descriptor fields (6.5.2.8)", "[unit][qi]") {
  // IF, SW, FN; status data 0xDEADBEEF; status address 0x123456788
  auto r = dec(0xDEADBEEF00000075ull, 0x0000000123456788ull, false);
  REQUIRE(r.ok());
  const auto& d = r.desc;
  CHECK(d.type == QiType::Wait);
  CHECK(d.intr);
  CHECK(d.sw);
  CHECK(d.fn);
  CHECK_FALSE(d.pd);
  CHECK(d.status_data == 0xDEADBEEFu);
  CHECK(d.status_addr == 0x123456788ull);

  r = dec(0x0000000100000025ull, 0xFFFFFFFFFFFFFFFCull, false);  // SW only, data 1
  REQUIRE(r.ok());
  CHECK(r.desc.sw);
  CHECK_FALSE(r.desc.intr);
  CHECK_FALSE(r.desc.fn);
  CHECK(r.desc.status_data == 1);
  CHECK(r.desc.status_addr == 0xFFFFFFFFFFFFFFFCull);

  r = dec(0x5, 0, false);  // no SW, no IF: a plain (no-op) wait is valid
  REQUIRE(r.ok());

  SECTION("PD needs ECAP.PDS") {
    QiCaps caps = all_caps();
    r = dec(0x85, 0, false, caps);
    REQUIRE(r.ok());
    CHECK(r.desc.pd);
    caps.page_request_drain = false;
    r = dec(0x85, 0, false, caps);
    CHECK(r.error == QiDecodeError::ReservedBits);
  }
}

TEST_CASE("qi: PASID-based-IOTLB descriptor fields (6.5.2.4)", "[unit][qi]") {
  // G=11 page-in-PASID, DID 7, PASID 0xFFFFF; ADDR 0xFFFFFFFFFFFFF000, IH, AM 0x3F
  auto r = dec(0x000FFFFF00070036ull, 0xFFFFFFFFFFFFF07Full);
  REQUIRE(r.ok());
  const auto& d = r.desc;
  CHECK(d.type == QiType::PasidIotlb);
  CHECK(d.piotlb_granularity == PasidIotlbGranularity::PageInPasid);
  CHECK(d.did == 7);
  CHECK(d.pasid == 0xFFFFF);
  CHECK(d.addr == 0xFFFFFFFFFFFFF000ull);
  CHECK(d.ih);
  CHECK(d.am == 0x3F);

  r = dec(0x0000000100020026ull, 0);  // G=10 all-in-PASID, DID 2, PASID 1
  REQUIRE(r.ok());
  CHECK(r.desc.piotlb_granularity == PasidIotlbGranularity::AllInPasid);
  CHECK(r.desc.did == 2);
  CHECK(r.desc.pasid == 1);

  CHECK(dec(0x0000000100020006ull, 0).error == QiDecodeError::ReservedBits);  // G=00
  CHECK(dec(0x0000000100020016ull, 0).error == QiDecodeError::ReservedBits);  // G=01
}

TEST_CASE("qi: PASID-cache descriptor fields (6.5.2.3)", "[unit][qi]") {
  // G=01 PASID-selective, DID 0x100, PASID 0x12345
  auto r = dec(0x0001234501000017ull, 0);
  REQUIRE(r.ok());
  CHECK(r.desc.type == QiType::PasidCache);
  CHECK(r.desc.pc_granularity == PasidCacheGranularity::Pasid);
  CHECK(r.desc.did == 0x100);
  CHECK(r.desc.pasid == 0x12345);

  r = dec(0x0000000000090007ull, 0);  // G=00 domain-selective, DID 9
  REQUIRE(r.ok());
  CHECK(r.desc.pc_granularity == PasidCacheGranularity::Domain);
  CHECK(r.desc.did == 9);

  r = dec(0x37, 0);  // G=11 global
  REQUIRE(r.ok());
  CHECK(r.desc.pc_granularity == PasidCacheGranularity::Global);

  CHECK(dec(0x27, 0).error == QiDecodeError::ReservedBits);  // G=10 reserved
}

TEST_CASE("qi: PASID-based-device-TLB descriptor fields (6.5.2.7)", "[unit][qi]") {
  // MIP 0x15, PFSID 0x0101 (15:12 = 1, 63:52 = 0x010), SID 0x0A0B, PASID 0x42;
  // G=1, S=1, ADDR 0xABCDE000
  auto r = dec(0x010000420A0B1158ull, 0x00000000ABCDE801ull);
  REQUIRE(r.ok());
  const auto& d = r.desc;
  CHECK(d.type == QiType::PasidDeviceTlb);
  CHECK(d.mip == 0x15);
  CHECK(d.pfsid == 0x0101);
  CHECK(d.sid == 0x0A0B);
  CHECK(d.pasid == 0x42);
  CHECK(d.global);
  CHECK(d.size);
  CHECK(d.addr == 0xABCDE000ull);

  r = dec(0xFFFFFFFFFFFFF1F8ull & ~bits(11, 9), 0xFFFFFFFFFFFFF000ull);  // every field all-ones
  REQUIRE(r.ok());
  CHECK(r.desc.mip == 0x1F);
  CHECK(r.desc.pfsid == 0xFFFF);
  CHECK(r.desc.sid == 0xFFFF);
  CHECK(r.desc.pasid == 0xFFFFF);
  CHECK_FALSE(r.desc.global);
  CHECK_FALSE(r.desc.size);
}

// ---------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------

TEST_CASE("qi: encoders produce the hand-computed words", "[unit][qi]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    auto r = dec(s.q0, s.q1);
    REQUIRE(r.ok());
    auto w = encode(r.desc);
    CHECK(w[0] == s.q0);
    CHECK(w[1] == s.q1);
    CHECK(w[2] == 0);
    CHECK(w[3] == 0);
  }

  QiDescriptor d;
  d.type = QiType::Iotlb;
  d.iotlb_granularity = IotlbGranularity::Domain;
  d.did = 0xBEEF;
  auto w = encode(d);
  CHECK(w[0] == 0x00000000BEEF0022ull);
  CHECK(w[1] == 0);

  d = QiDescriptor{};
  d.type = QiType::Wait;
  d.sw = true;
  d.status_data = 0x12345678;
  d.status_addr = 0x1000;
  w = encode(d);
  CHECK(w[0] == 0x1234567800000025ull);
  CHECK(w[1] == 0x1000);
}

TEST_CASE("qi: encoders truncate fields to their widths", "[unit][qi]") {
  QiDescriptor d;
  d.type = QiType::ContextCache;
  d.cc_granularity = ContextGranularity::Device;
  d.fm = 0xFF;  // 2 bits
  auto w = encode(d);
  CHECK(w[0] == 0x0003000000000031ull);

  d = QiDescriptor{};
  d.type = QiType::PasidCache;
  d.pc_granularity = PasidCacheGranularity::Global;
  d.pasid = 0xFFFFFFFF;  // 20 bits
  w = encode(d);
  CHECK(w[0] == 0x000FFFFF00000037ull);

  d = QiDescriptor{};
  d.type = QiType::Iotlb;
  d.iotlb_granularity = IotlbGranularity::Page;
  d.addr = 0x12345FFF;  // low 12 bits dropped
  d.am = 0xFF;          // 6 bits
  w = encode(d);
  CHECK(w[1] == 0x000000001234503Full);

  d = QiDescriptor{};
  d.type = QiType::Wait;
  d.status_addr = 0x1003;  // bits 1:0 dropped
  w = encode(d);
  CHECK(w[1] == 0x1000);
}

TEST_CASE("qi: encode/decode round trips for every type", "[unit][qi]") {
  std::vector<QiDescriptor> ds;
  QiDescriptor d;

  for (auto g : {ContextGranularity::Global, ContextGranularity::Domain, ContextGranularity::Device}) {
    d = QiDescriptor{};
    d.type = QiType::ContextCache;
    d.cc_granularity = g;
    d.did = 0xFFFF;
    d.sid = 0x1234;
    d.fm = 3;
    ds.push_back(d);
  }
  for (auto g : {IotlbGranularity::Global, IotlbGranularity::Domain, IotlbGranularity::Page}) {
    d = QiDescriptor{};
    d.type = QiType::Iotlb;
    d.iotlb_granularity = g;
    d.did = 0x8001;
    d.dr = true;
    d.addr = 0xFEDCBA9876543000ull;
    d.am = 63;
    d.ih = true;
    ds.push_back(d);
  }
  d = QiDescriptor{};
  d.type = QiType::DeviceTlb;
  d.sid = 0xFFFF;
  d.pfsid = 0x8421;
  d.mip = 31;
  d.size = true;
  d.addr = 0x7000;
  ds.push_back(d);
  for (auto g : {IecGranularity::Global, IecGranularity::Index}) {
    d = QiDescriptor{};
    d.type = QiType::InterruptEntryCache;
    d.iec_granularity = g;
    d.iidx = 0xFFFF;
    d.im = 31;
    ds.push_back(d);
  }
  d = QiDescriptor{};
  d.type = QiType::Wait;
  d.intr = d.sw = d.fn = d.pd = true;
  d.status_data = 0xFFFFFFFFu;
  d.status_addr = 0xFFFFFFFFFFFFFFFCull;
  ds.push_back(d);
  for (auto g : {PasidIotlbGranularity::AllInPasid, PasidIotlbGranularity::PageInPasid}) {
    d = QiDescriptor{};
    d.type = QiType::PasidIotlb;
    d.piotlb_granularity = g;
    d.did = 0x7FFF;
    d.pasid = 0xABCDE;
    d.addr = 0x1000;
    d.am = 1;
    d.ih = true;
    ds.push_back(d);
  }
  for (auto g : {PasidCacheGranularity::Domain, PasidCacheGranularity::Pasid, PasidCacheGranularity::Global}) {
    d = QiDescriptor{};
    d.type = QiType::PasidCache;
    d.pc_granularity = g;
    d.did = 3;
    d.pasid = 0xFFFFF;
    ds.push_back(d);
  }
  d = QiDescriptor{};
  d.type = QiType::PasidDeviceTlb;
  d.sid = 0x00F8;
  d.pfsid = 0xFFFF;
  d.mip = 1;
  d.pasid = 0x80000;
  d.global = true;
  d.size = true;
  d.addr = 0xFFFFFFFFFFFFF000ull;
  ds.push_back(d);

  for (const auto& x : ds) {
    INFO(to_string(x.type));
    auto w = encode(x);
    auto r = dec(w);
    REQUIRE(r.ok());
    CHECK(r.desc == x);
    CHECK(encode(r.desc) == w);
    if (x.type != QiType::PasidIotlb && x.type != QiType::PasidCache &&
        x.type != QiType::PasidDeviceTlb) {
      auto r128 = dec(w, false);
      REQUIRE(r128.ok());
      CHECK(r128.desc == x);
    }
  }
}

// ---------------------------------------------------------------------------
// Reserved bits
// ---------------------------------------------------------------------------

TEST_CASE("qi: every reserved bit of q0 and q1 is rejected for every type", "[unit][qi]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    REQUIRE(dec(s.q0, s.q1).ok());
    CHECK((s.rsvd0 & kTypeBits) == 0);
    CHECK(qi_reserved_mask_q0(s.type) ==
          (s.rsvd0 | (s.type == QiType::Wait ? uint64_t{1} << 7 : 0)));
    CHECK(qi_reserved_mask_q1(s.type) == s.rsvd1);
    for (unsigned b = 0; b < 64; ++b) {
      const uint64_t m = uint64_t{1} << b;
      if (s.rsvd0 & m) {
        INFO("q0 bit " << b);
        auto r = dec(s.q0 | m, s.q1);
        CHECK(r.error == QiDecodeError::ReservedBits);
        CHECK(r.desc.type == s.type);
      }
      if (s.rsvd1 & m) {
        INFO("q1 bit " << b);
        CHECK(dec(s.q0, s.q1 | m).error == QiDecodeError::ReservedBits);
      }
    }
  }
}

TEST_CASE("qi: bits outside the reserved masks are fields, not errors", "[unit][qi]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    for (unsigned b = 0; b < 64; ++b) {
      const uint64_t m = uint64_t{1} << b;
      // Skip the type and the 2-bit G fields (flipping G may give a reserved encoding).
      const bool has_g2 = s.type == QiType::ContextCache || s.type == QiType::Iotlb ||
                          s.type == QiType::PasidIotlb || s.type == QiType::PasidCache;
      if ((kTypeBits & m) || (has_g2 && (bits(5, 4) & m))) continue;
      if (!(s.rsvd0 & m)) {
        INFO("q0 bit " << b);
        CHECK(dec(s.q0 ^ m, s.q1).ok());
      }
      if (!(s.rsvd1 & m)) {
        INFO("q1 bit " << b);
        CHECK(dec(s.q0, s.q1 ^ m).ok());
      }
    }
  }
}

TEST_CASE("qi: 256-bit mode: q2 and q3 are reserved for every type", "[unit][qi]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    for (unsigned b = 0; b < 64; ++b) {
      const uint64_t m = uint64_t{1} << b;
      CHECK(dec(s.q0, s.q1, true, all_caps(), m, 0).error == QiDecodeError::ReservedBits);
      CHECK(dec(s.q0, s.q1, true, all_caps(), 0, m).error == QiDecodeError::ReservedBits);
    }
  }
}

TEST_CASE("qi: 128-bit mode ignores q2 and q3", "[unit][qi]") {
  for (const auto& s : samples()) {
    if (s.type == QiType::PasidIotlb || s.type == QiType::PasidCache ||
        s.type == QiType::PasidDeviceTlb)
      continue;
    INFO(s.name);
    auto r = dec(s.q0, s.q1, false, all_caps(), ~uint64_t{0}, 0x1234);
    REQUIRE(r.ok());
    CHECK(r.desc == dec(s.q0, s.q1).desc);
  }
}

TEST_CASE("qi: PASID-based types are 256-bit only", "[unit][qi]") {
  for (const auto& s : samples()) {
    INFO(s.name);
    auto r = dec(s.q0, s.q1, false);
    const bool pasid = s.type == QiType::PasidIotlb || s.type == QiType::PasidCache ||
                       s.type == QiType::PasidDeviceTlb;
    if (pasid) {
      CHECK(r.error == QiDecodeError::InvalidType);
      CHECK(r.desc.type == s.type);
    } else {
      CHECK(r.ok());
    }
    CHECK(dec(s.q0, s.q1, true).ok());
  }
}

// ---------------------------------------------------------------------------
// Type codes and capabilities
// ---------------------------------------------------------------------------

TEST_CASE("qi: invalid type codes", "[unit][qi]") {
  CHECK(qi_type_code(0x201) == 0x11);
  CHECK(qi_type_code(0xE0F) == 0x7F);
  CHECK(qi_type_code(0x1F5) == 0x05);  // bits 8:4 are not type bits

  for (bool w : {false, true}) {
    INFO("256-bit " << w);
    CHECK(dec(0, 0, w).error == QiDecodeError::InvalidType);  // all-zero descriptor
    for (uint64_t t = 9; t <= 15; ++t) {
      INFO("type " << t);
      CHECK(dec(t, 0, w).error == QiDecodeError::InvalidType);
    }
    // Type[6:4] (bits 11:9) nonzero: codes 0x10..0x7F, none defined.
    for (uint64_t hi = 1; hi <= 7; ++hi) {
      for (uint64_t lo = 0; lo <= 15; ++lo) {
        INFO("type " << ((hi << 4) | lo));
        CHECK(dec((hi << 9) | lo, 0, w).error == QiDecodeError::InvalidType);
      }
    }
  }
  // Type checked before reserved bits.
  CHECK(dec(0xFFFFFFFFFFFFFFF0ull, ~uint64_t{0}).error == QiDecodeError::InvalidType);
  // A valid low nibble with Type[6:4] set is a different (undefined) type.
  CHECK(dec(0x0000000000000211ull, 0).error == QiDecodeError::InvalidType);
  CHECK(dec(0x0000000000000A05ull, 0).error == QiDecodeError::InvalidType);
}

TEST_CASE("qi: each type is rejected when the unit does not support it", "[unit][qi]") {
  auto s = samples();
  auto find = [&](QiType t) {
    for (const auto& x : s)
      if (x.type == t) return x;
    FAIL("no sample");
    return s[0];
  };
  auto check = [&](QiType t, const QiCaps& caps, bool expect_ok) {
    INFO(to_string(t));
    const auto x = find(t);
    auto r = dec(x.q0, x.q1, true, caps);
    if (expect_ok) {
      CHECK(r.ok());
    } else {
      CHECK(r.error == QiDecodeError::InvalidType);
      CHECK(r.desc.type == t);
    }
    CHECK(caps.supports(t) == expect_ok);
  };

  // Context-cache, IOTLB and wait need nothing.
  QiCaps none;
  none.device_tlb = none.interrupt_entry_cache = none.pasid_types = none.page_request_drain = false;
  check(QiType::ContextCache, none, true);
  check(QiType::Iotlb, none, true);
  check(QiType::Wait, none, true);
  check(QiType::DeviceTlb, none, false);
  check(QiType::InterruptEntryCache, none, false);
  check(QiType::PasidIotlb, none, false);
  check(QiType::PasidCache, none, false);
  check(QiType::PasidDeviceTlb, none, false);

  QiCaps c = all_caps();
  c.device_tlb = false;  // no ECAP.DT: both device-TLB types invalid
  check(QiType::DeviceTlb, c, false);
  check(QiType::PasidDeviceTlb, c, false);
  check(QiType::PasidIotlb, c, true);

  c = all_caps();
  c.interrupt_entry_cache = false;  // no ECAP.IR
  check(QiType::InterruptEntryCache, c, false);
  check(QiType::DeviceTlb, c, true);

  c = all_caps();
  c.pasid_types = false;  // legacy-only unit
  check(QiType::PasidIotlb, c, false);
  check(QiType::PasidCache, c, false);
  check(QiType::PasidDeviceTlb, c, false);
  check(QiType::DeviceTlb, c, true);
  check(QiType::InterruptEntryCache, c, true);

  // Unsupported wins over reserved bits.
  CHECK(dec(0xFFFFFFFFFFFFF1F3ull & ~bits(11, 9), ~uint64_t{0}, true, none).error ==
        QiDecodeError::InvalidType);
}

TEST_CASE("qi: caps from unit features", "[unit][qi]") {
  UnitFeatures f;
  f.dt = true;
  f.ir = false;
  f.smts = true;
  auto c = QiCaps::from_features(f);
  CHECK(c.device_tlb);
  CHECK_FALSE(c.interrupt_entry_cache);
  CHECK(c.pasid_types);
  CHECK_FALSE(c.page_request_drain);

  f.dt = false;
  f.ir = true;
  f.smts = false;
  c = QiCaps::from_features(f);
  CHECK_FALSE(c.device_tlb);
  CHECK(c.interrupt_entry_cache);
  CHECK_FALSE(c.pasid_types);
}

TEST_CASE("qi: names", "[unit][qi]") {
  CHECK(std::string(to_string(QiType::PasidDeviceTlb)) == "pasid-device-tlb");
  CHECK(std::string(to_string(QiDecodeError::ReservedBits)) == "reserved bits");
  auto r = dec(0, 0);
  CHECK(std::string(r.reason).size() > 0);
}
