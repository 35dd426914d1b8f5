// Unit tests for the remapping unit's register file (models/vtd/registers.h,
// cap_ecap.h, register_file.h): CAP/ECAP encode/decode against a real server's
// values, access rules, GCMD/GSTS, CCMD and IOTLB commands, primary fault
// logging and the fault-event interrupt.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "vtd/cap_ecap.h"
#include "iommu/register_file.h"
#include "vtd/registers.h"

using namespace iommusim;
namespace r = iommusim::reg;

namespace {

// From /work/shared/data/dmar-boot-log-8unit.txt, all eight units:
//   "DMAR: dmar0: reg_base_addr d37fc000 ver 1:0 cap 8d2078c106f0466 ecap f020df"
constexpr uint64_t kRealCap = 0x8d2078c106f0466ull;
constexpr uint64_t kRealEcap = 0xf020dfull;
constexpr uint64_t kPiBit = uint64_t{1} << 59;

uint64_t rd(const RegisterFile& rf, uint64_t off, unsigned size = 4) {
  uint64_t v = 0xdeadbeef;
  REQUIRE(rf.read(off, size, v) == RegisterFile::Access::Ok);
  return v;
}
void wr(RegisterFile& rf, uint64_t off, uint64_t v, unsigned size = 4) {
  REQUIRE(rf.write(off, size, v) == RegisterFile::Access::Ok);
}

// Defaults equal the real unit without PI: FRCDs at 0x100 (8 of them), IOTLB at 0x200.
constexpr uint64_t kIva = 0x200, kIotlb = 0x208, kFrcd0 = 0x100;

uint64_t frcd_hi(const RegisterFile& rf, unsigned i) { return rd(rf, kFrcd0 + 16 * i + 8, 8); }
uint64_t frcd_lo(const RegisterFile& rf, unsigned i) { return rd(rf, kFrcd0 + 16 * i, 8); }
uint32_t fsts(const RegisterFile& rf) { return static_cast<uint32_t>(rd(rf, r::kFsts)); }
unsigned fri(const RegisterFile& rf) { return (fsts(rf) >> 8) & 0xFF; }

FaultRecord fault(uint16_t sid, Addr addr, uint8_t reason = 5, bool write = true) {
  FaultRecord f;
  f.sid = sid;
  f.addr = addr;
  f.reason = reason;
  f.write = write;
  return f;
}

}  // namespace

// ---------------------------------------------------------------------------
// CAP / ECAP

TEST_CASE("regs: the real server's CAP/ECAP decoded field by field", "[unit][regs]") {
  // cap 0x08d2078c106f0466, by bytes from bit 63: 08 d2 07 8c 10 6f 04 66
  //   bits  7:0  = 0x66 = 0110'0110: ND (2:0) = 6 -> 16-bit domain ids; AFL (3) = 0;
  //                RWBF (4) = 0; PLMR (5) = 1; PHMR (6) = 1; CM (7) = 0
  //   bits 15:8  = 0x04: SAGAW (12:8) = 0b00100 -> 48-bit / 4-level only
  //   bits 23:16 = 0x6f = 0110'1111: MGAW (21:16) = 0x2f = 47 -> 48 bits; ZLR (22) = 1;
  //                bit 23 = 0
  //   bits 33:24 = 0x0_10 (bits 33:32 of 0x8c are 00): FRO = 0x10 -> FRCDs at 0x100
  //   bits 39:32 = 0x8c = 1000'1100: SLLPS (37:34) = 0b0011 -> 2 MiB and 1 GiB;
  //                bit 38 = 0; PSI (39) = 1
  //   bits 47:40 = 0x07: NFR = 7 -> 8 fault recording registers (0x100..0x17f)
  //   bits 55:48 = 0xd2 = 1101'0010: MAMV (53:48) = 0x12 = 18; DWD (54) = 1; DRD (55) = 1
  //   bits 63:56 = 0x08: PI (59) = 1 -- posted interrupts
  // ecap 0xf020df
  //   bits  7:0  = 0xdf = 1101'1111: C, QI, DT, IR, EIM (0..4) = 1; bit 5 = 0; PT (6) = 1;
  //                SC (7) = 1
  //   bits 17:8  = 0x020: IRO = 0x20 -> IVA at 0x200, IOTLB_REG at 0x208
  //   bits 23:20 = 0xf: MHMV = 15; everything above (scalable mode, PASID, ...) = 0
  CHECK(unmodelled_bits(kRealCap, kRealEcap).empty());

  const UnitFeatures f = features_from_raw(kRealCap, kRealEcap);
  CHECK(f.pi);
  CHECK_FALSE(features_from_raw(kRealCap & ~kPiBit, kRealEcap).pi);
  CHECK(f.nd == 6);
  CHECK(f.domain_id_bits() == 16);
  CHECK_FALSE(f.rwbf);
  CHECK(f.plmr);
  CHECK(f.phmr);
  CHECK_FALSE(f.cm);
  CHECK(f.sagaw == 0x4);
  CHECK(f.mgaw == 48);
  CHECK(f.zlr);
  CHECK(f.fro == 0x10);
  CHECK(f.sp_2m);
  CHECK(f.sp_1g);
  CHECK(f.psi);
  CHECK(f.nfr == 8);
  CHECK(f.mamv == 18);
  CHECK(f.dwd);
  CHECK(f.drd);
  CHECK_FALSE(f.fl1gp);
  CHECK_FALSE(f.fl5lp);
  CHECK(f.c);
  CHECK(f.qi);
  CHECK(f.dt);
  CHECK(f.ir);
  CHECK(f.eim);
  CHECK(f.pt);
  CHECK(f.sc);
  CHECK(f.iro == 0x20);
  CHECK(f.mhmv == 15);
  CHECK_FALSE(f.smts);
  CHECK_FALSE(f.pasid);
  CHECK_FALSE(f.nest);
  CHECK_FALSE(f.flts);
  CHECK_FALSE(f.slts);
  CHECK(f.pss == 0);
  CHECK(f.version() == 0x10);  // "ver 1:0"

  // Encoding the decoded features gives the raw values back.
  CHECK(make_cap(f) == kRealCap);
  CHECK(make_ecap(f) == kRealEcap);
  // The defaults are this unit.
  CHECK(make_cap(UnitFeatures{}) == kRealCap);
  CHECK(make_ecap(UnitFeatures{}) == kRealEcap);
  CHECK(register_block_size(f) == 0x1000);

  // The lenient decoder gives the same (nothing in these values is unmodelled).
  CHECK(make_cap(decode_cap_ecap(kRealCap, kRealEcap)) == kRealCap);
}

TEST_CASE("regs: non-modelled and reserved CAP/ECAP bits are refused", "[unit][regs]") {
  const uint64_t cap = kRealCap & ~kPiBit;
  CHECK_THROWS_MATCHES(
      features_from_raw(cap, kRealEcap | (uint64_t{1} << 29)), InputError,
      Catch::Message("ecap: bit 29 (PRS) is set, but iommusim does not model PRS"));
  CHECK_THROWS_MATCHES(features_from_raw(cap | (uint64_t{1} << 3), kRealEcap), InputError,
                       Catch::Message("cap: bit 3 (AFL) is set, but iommusim does not model AFL"));
  CHECK_THROWS_MATCHES(features_from_raw(cap | (uint64_t{1} << 38), kRealEcap), InputError,
                       Catch::Message("cap: bit 38 is set, but it is reserved in VT-d 4.x"));
  CHECK_THROWS_MATCHES(features_from_raw(cap | (uint64_t{1} << 8), kRealEcap), InputError,
                       Catch::Message("cap: bit 8 is set, but it is reserved in VT-d 4.x"));
  CHECK_THROWS_MATCHES(features_from_raw(cap, kRealEcap | (uint64_t{1} << 5)), InputError,
                       Catch::Message("ecap: bit 5 is set, but it is reserved in VT-d 4.x"));
  // Every message, CAP first, low bit first.
  CHECK(unmodelled_bits(kRealCap | (uint64_t{1} << 3) | (uint64_t{1} << 61),
                        kRealEcap | (uint64_t{1} << 25) | (uint64_t{1} << 52)) ==
        std::vector<std::string>{
            "cap: bit 3 (AFL) is set, but iommusim does not model AFL",
            "cap: bit 61 (ECMDS) is set, but iommusim does not model ECMDS",
            "ecap: bit 25 (MTS) is set, but iommusim does not model MTS",
            "ecap: bit 52 (ADMS) is set, but iommusim does not model ADMS"});
  // Modelled scalable-mode bits decode.
  const uint64_t sm = (uint64_t{1} << 43) | (uint64_t{1} << 46) | (uint64_t{1} << 47) |
                      (uint64_t{1} << 40) | (uint64_t{19} << 35) | (uint64_t{1} << 26);
  const UnitFeatures f = features_from_raw(cap | (uint64_t{1} << 56) | (uint64_t{1} << 60) |
                                               (uint64_t{0x8} << 8),
                                           kRealEcap | sm);
  CHECK(f.smts);
  CHECK(f.slts);
  CHECK(f.flts);
  CHECK(f.nest);
  CHECK(f.pasid);
  CHECK(f.pss == 19);
  CHECK(f.fl1gp);
  CHECK(f.fl5lp);
  CHECK(f.sagaw == 0xC);
  CHECK(f.version() == 0x60);
  // Table shape: 64 entries per register, indexed by bit.
  REQUIRE(cap_bits().size() == 64);
  REQUIRE(ecap_bits().size() == 64);
  for (unsigned b = 0; b < 64; ++b) {
    CHECK(cap_bits()[b].bit == b);
    CHECK(ecap_bits()[b].bit == b);
  }
  CHECK(cap_bits()[59].support == BitSupport::Modelled);
  CHECK(cap_bits()[61].support == BitSupport::NotModelled);
  CHECK(std::string(cap_bits()[45].name) == "NFR");
  CHECK(ecap_bits()[43].support == BitSupport::Modelled);
}

TEST_CASE("regs: feature validation", "[unit][regs]") {
  auto msg = [](auto edit) {
    UnitFeatures f;
    edit(f);
    try {
      validate_features(f);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("valid");
  };
  CHECK(msg([](UnitFeatures&) {}) == "valid");
  CHECK(msg([](UnitFeatures& f) { f.nd = 7; }) ==
        "iommu unit: nd = 7 is reserved (0..6: 4..16-bit domain ids)");
  CHECK(msg([](UnitFeatures& f) { f.nfr = 0; }) ==
        "iommu unit: nfr = 0 is out of range (1..256 fault recording registers)");
  CHECK(msg([](UnitFeatures& f) { f.sagaw = 0x1; }) ==
        "iommu unit: sagaw = 0x1 must be a non-empty set of bit 1 (39-bit), bit 2 (48-bit), "
        "bit 3 (57-bit)");
  CHECK(msg([](UnitFeatures& f) { f.ir = false; }) ==
        "iommu unit: eim needs ir (extended interrupt mode is part of interrupt remapping)");
  CHECK(msg([](UnitFeatures& f) { f.ir = f.eim = false; }) ==
        "iommu unit: pi needs ir (posted interrupts are part of interrupt remapping)");
  CHECK(msg([](UnitFeatures& f) { f.qi = false; }) ==
        "iommu unit: ir needs qi (interrupt entry caches are invalidated through the invalidation queue)");
  CHECK(msg([](UnitFeatures& f) { f.qi = f.ir = f.eim = f.pi = false; }) ==
        "iommu unit: dt needs qi (device-TLB invalidations go through the invalidation queue)");
  CHECK(msg([](UnitFeatures& f) { f.flts = true; }) ==
        "iommu unit: flts needs smts (first-level translation is a scalable-mode feature)");
  CHECK(msg([](UnitFeatures& f) { f.haw = 60; }) == "iommu unit: haw = 60 is out of range (32..52)");
  // 17 FRCDs at 0x100 reach 0x210: they overlap the IOTLB registers at 0x200.
  CHECK(msg([](UnitFeatures& f) { f.nfr = 17; }) ==
        "iommu unit: the IOTLB registers (0x200..0x20f) overlap the 17 fault recording "
        "registers (0x100..0x20f)");
  CHECK(msg([](UnitFeatures& f) { f.fro = 0x8; }) ==
        "iommu unit: fro = 0x8 puts the fault recording registers at 0x80, inside the "
        "architectural registers (below 0xf0)");
  // assign_register_layout() fixes the overlap.
  UnitFeatures big;
  big.nfr = 256;
  assign_register_layout(big);
  CHECK(big.fro == 0x10);
  CHECK(big.iro == 0x110);  // 0x100 + 256*16 = 0x1100
  CHECK_NOTHROW(validate_features(big));
  CHECK(register_block_size(big) == 0x2000);
  UnitFeatures small;
  assign_register_layout(small);
  CHECK(small.fro == 0x10);
  CHECK(small.iro == 0x20);
  UnitFeatures bad;
  bad.nd = 7;
  CHECK_THROWS_AS(RegisterFile{bad}, InputError);
}

// ---------------------------------------------------------------------------
// Access rules

TEST_CASE("regs: reset values of every register", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  CHECK(rf.size() == 0x1000);
  CHECK(rd(rf, r::kVer) == 0x10);
  CHECK(rd(rf, r::kCap, 8) == kRealCap);
  CHECK(rd(rf, r::kEcap, 8) == kRealEcap);
  CHECK(rd(rf, r::kGcmd) == 0);
  CHECK(rd(rf, r::kGsts) == 0);
  CHECK(rd(rf, r::kRtaddr, 8) == 0);
  CHECK(rd(rf, r::kCcmd, 8) == 0);
  CHECK(rd(rf, r::kFsts) == 0);
  CHECK(rd(rf, r::kFectl) == 0x80000000);  // IM set at reset
  CHECK(rd(rf, r::kFedata) == 0);
  CHECK(rd(rf, r::kFeaddr) == 0);
  CHECK(rd(rf, r::kFeuaddr) == 0);
  CHECK(rd(rf, r::kAflog, 8) == 0);
  CHECK(rd(rf, r::kPmen) == 0);
  CHECK(rd(rf, r::kPlmbase) == 0);
  CHECK(rd(rf, r::kPlmlimit) == 0);
  CHECK(rd(rf, r::kPhmbase, 8) == 0);
  CHECK(rd(rf, r::kPhmlimit, 8) == 0);
  CHECK(rd(rf, r::kIqh, 8) == 0);
  CHECK(rd(rf, r::kIqt, 8) == 0);
  CHECK(rd(rf, r::kIqa, 8) == 0);
  CHECK(rd(rf, r::kIcs) == 0);
  CHECK(rd(rf, r::kIectl) == 0x80000000);  // IM set at reset
  CHECK(rd(rf, r::kIedata) == 0);
  CHECK(rd(rf, r::kIeaddr) == 0);
  CHECK(rd(rf, r::kIeuaddr) == 0);
  CHECK(rd(rf, r::kIqercd, 8) == 0);
  CHECK(rd(rf, r::kIrta, 8) == 0);
  CHECK(rd(rf, kIva, 8) == 0);
  CHECK(rd(rf, kIotlb, 8) == 0);
  for (unsigned i = 0; i < 8; ++i) {
    CHECK(frcd_lo(rf, i) == 0);
    CHECK(frcd_hi(rf, i) == 0);
  }
  CHECK_FALSE(rf.root_table());
  CHECK_FALSE(rf.interrupt_remap_table());
  CHECK(rf.take_commands().empty());
  // Every other offset in the block reads 0.
  for (uint64_t off = 0; off < rf.size(); off += 4) {
    if (off == r::kVer || off == r::kCap || off == r::kCap + 4 || off == r::kEcap ||
        off == r::kEcap + 4 || off == r::kFectl || off == r::kIectl)
      continue;
    CHECK(rd(rf, off) == 0);
  }
  // A scalable-mode unit reports version 6.0; an explicit version wins.
  UnitFeatures sm;
  sm.smts = true;
  CHECK(rd(RegisterFile{sm}, r::kVer) == 0x60);
  UnitFeatures v;
  v.ver_major = 3;
  v.ver_minor = 1;
  CHECK(rd(RegisterFile{v}, r::kVer) == 0x31);
}

TEST_CASE("regs: access sizes, alignment and block bounds", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  uint64_t v = 0;
  using A = RegisterFile::Access;
  CHECK(rf.read(r::kCap, 8, v) == A::Ok);
  CHECK(rf.read(r::kCap + 4, 4, v) == A::Ok);
  CHECK(rf.read(r::kCap + 4, 8, v) == A::Error);  // misaligned 8-byte
  CHECK(rf.read(r::kGsts + 2, 4, v) == A::Error);  // misaligned 4-byte
  CHECK(rf.read(r::kGsts, 2, v) == A::Error);      // size
  CHECK(rf.read(r::kGsts, 1, v) == A::Error);
  CHECK(rf.read(r::kGsts, 16, v) == A::Error);
  CHECK(rf.read(0xFFC, 4, v) == A::Ok);            // last dword of the block
  CHECK(rf.read(0xFF8, 8, v) == A::Ok);
  CHECK(rf.read(0x1000, 4, v) == A::Error);        // past the block
  CHECK(rf.read(~uint64_t{0} - 3, 4, v) == A::Error);
  CHECK(rf.write(r::kRtaddr + 4, 8, 0) == A::Error);
  CHECK(rf.write(0x1000, 4, 0) == A::Error);
  CHECK(rf.write(r::kFeaddr, 3, 0) == A::Error);
  CHECK(rf.write(0x400, 4, 0xFFFFFFFF) == A::Ok);  // reserved: ignored
  CHECK(rd(rf, 0x400) == 0);
}

TEST_CASE("regs: 32-bit halves of 64-bit registers and 64-bit access to 32-bit pairs",
          "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  // CAP halves.
  CHECK(rd(rf, r::kCap) == (kRealCap & 0xFFFFFFFF));
  CHECK(rd(rf, r::kCap + 4) == (kRealCap >> 32));
  // RTADDR written as two dwords, read as one qword and back.
  wr(rf, r::kRtaddr, 0x12345000);
  wr(rf, r::kRtaddr + 4, 0x00000abc);
  CHECK(rd(rf, r::kRtaddr, 8) == 0x00000abc12345000ull);
  CHECK(rd(rf, r::kRtaddr + 4) == 0xabc);
  wr(rf, r::kRtaddr + 4, 0x1);  // upper half only: lower half unchanged
  CHECK(rd(rf, r::kRtaddr, 8) == 0x0000000112345000ull);
  // An 8-byte access to FEADDR (0x40) + FEUADDR (0x44) acts on both.
  wr(rf, r::kFeaddr, 0x00000012fee01000ull, 8);
  CHECK(rd(rf, r::kFeaddr) == 0xfee01000);
  CHECK(rd(rf, r::kFeuaddr) == 0x12);
  CHECK(rd(rf, r::kFeaddr, 8) == 0x00000012fee01000ull);
  // FSTS (0x34) read as the upper half of the qword at 0x30.
  CHECK(rd(rf, 0x30, 8) == 0);
}

TEST_CASE("regs: RO, reserved and write-only fields", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  wr(rf, r::kVer, 0xFFFFFFFF);
  wr(rf, r::kCap, ~uint64_t{0}, 8);
  wr(rf, r::kEcap, 0, 8);
  wr(rf, r::kGsts, 0xFFFFFFFF);
  CHECK(rd(rf, r::kVer) == 0x10);
  CHECK(rd(rf, r::kCap, 8) == kRealCap);
  CHECK(rd(rf, r::kEcap, 8) == kRealEcap);
  CHECK(rd(rf, r::kGsts) == 0);
  // RTADDR: RTA bits at and above HAW (46) and the reserved 11:0 are dropped;
  // a legacy-only unit has no TTM.
  wr(rf, r::kRtaddr, ~uint64_t{0}, 8);
  CHECK(rd(rf, r::kRtaddr, 8) == 0x00003FFFFFFFF000ull);
  // FEADDR 1:0 reserved; FEDATA 16-bit.
  wr(rf, r::kFeaddr, 0xFEE0000F);
  CHECK(rd(rf, r::kFeaddr) == 0xFEE0000C);
  wr(rf, r::kFedata, 0xABCD1234);
  CHECK(rd(rf, r::kFedata) == 0x1234);
  // FECTL.IP and FSTS.PPF/FRI are RO.
  wr(rf, r::kFectl, 0xC0000000);
  CHECK(rd(rf, r::kFectl) == 0x80000000);
  wr(rf, r::kFsts, 0xFFFFFFFF);
  CHECK(fsts(rf) == 0);
  // CAIG / IAIG are RO (writes with ICC/IVT clear do not issue requests).
  wr(rf, r::kCcmd, uint64_t{3} << 59, 8);
  CHECK(rd(rf, r::kCcmd, 8) == 0);
  wr(rf, kIotlb, uint64_t{3} << 57, 8);
  CHECK(rd(rf, kIotlb, 8) == 0);
  // Fault recording registers: only F is writable (RW1C), and it is clear.
  wr(rf, kFrcd0, ~uint64_t{0}, 8);
  wr(rf, kFrcd0 + 8, ~uint64_t{0}, 8);
  CHECK(frcd_lo(rf, 0) == 0);
  CHECK(frcd_hi(rf, 0) == 0);
  // IVA is write-only: reads return 0, the value is kept for IOTLB_REG.
  wr(rf, kIva, 0x0000123456789A7Full, 8);
  CHECK(rd(rf, kIva, 8) == 0);
  CHECK(rf.peek(kIva) == 0x000012345678907Full);  // 11:7 reserved dropped
  // CCMD.FM and SID are write-only.
  wr(rf, r::kCcmd, (uint64_t{3} << 32) | (uint64_t{0xBEEF} << 16) | 0x42, 8);
  CHECK(rd(rf, r::kCcmd, 8) == 0x42);
  // IRTA: EIME present (ECAP.EIM), bits 10:4 reserved.
  wr(rf, r::kIrta, 0x0000001234567FFFull, 8);
  CHECK(rd(rf, r::kIrta, 8) == 0x000000123456780Full);
  // IQA: legacy-only unit, so no DW (bit 11); QS 2:0.
  wr(rf, r::kIqa, 0x0000001234567FFFull, 8);
  CHECK(rd(rf, r::kIqa, 8) == 0x0000001234567007ull);
  // IQT 18:4; IQH is hardware-owned.
  wr(rf, r::kIqt, ~uint64_t{0}, 8);
  CHECK(rd(rf, r::kIqt, 8) == 0x7FFF0);
  wr(rf, r::kIqh, ~uint64_t{0}, 8);
  CHECK(rd(rf, r::kIqh, 8) == 0);
  rf.set_iqh(0x120);
  CHECK(rd(rf, r::kIqh, 8) == 0x120);
  // Units without QI / IR / PMRs have no such registers.
  UnitFeatures bare;
  bare.qi = bare.ir = bare.eim = bare.pi = bare.dt = bare.plmr = bare.phmr = false;
  RegisterFile rb{bare};
  wr(rb, r::kIqt, 0x10, 8);
  wr(rb, r::kIrta, 0x1000, 8);
  wr(rb, r::kPmen, 0x80000000);
  wr(rb, r::kPlmbase, 0xFFE00000);
  wr(rb, r::kFeuaddr, 0x1);
  CHECK(rd(rb, r::kIqt, 8) == 0);
  CHECK(rd(rb, r::kIrta, 8) == 0);
  CHECK(rd(rb, r::kPmen) == 0);
  CHECK(rd(rb, r::kPlmbase) == 0);
  CHECK(rd(rb, r::kFeuaddr) == 0);
}

// ---------------------------------------------------------------------------
// GCMD / GSTS

TEST_CASE("regs: GCMD is one-shot and GSTS mirrors TE, SRTP and WBF", "[unit][regs]") {
  UnitFeatures f;
  f.rwbf = true;
  RegisterFile rf{f};
  using K = Command::Kind;

  // SRTP: RTPS cleared on the write, set on completion.
  wr(rf, r::kRtaddr, 0x0000000123456000ull, 8);
  wr(rf, r::kGcmd, r::kGcmdSrtp);
  CHECK(rd(rf, r::kGcmd) == 0);  // write-only
  auto cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetRootTablePointer);
  CHECK(rd(rf, r::kGsts) == 0);
  rf.complete_srtp();
  CHECK(rd(rf, r::kGsts) == r::kGstsRtps);
  CHECK(rf.take_commands().empty());

  // The spec's recipe: GCMD = (GSTS & 0x96FFFFFF) | TE. The RTPS bit in GSTS
  // must not be taken as another SRTP.
  uint32_t status = static_cast<uint32_t>(rd(rf, r::kGsts)) & r::kGstsOneShotMask;
  wr(rf, r::kGcmd, status | r::kGcmdTe);
  cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetTranslation);
  CHECK(cmds[0].enable);
  CHECK_FALSE(rf.translation_enabled());  // not until the unit completes it
  rf.complete_te(true);
  CHECK(rd(rf, r::kGsts) == (r::kGstsTes | r::kGstsRtps));
  CHECK(rf.translation_enabled());

  // Writing TE=1 again changes nothing: no command.
  status = static_cast<uint32_t>(rd(rf, r::kGsts)) & r::kGstsOneShotMask;
  wr(rf, r::kGcmd, status);
  CHECK(rf.take_commands().empty());

  // WBF: WBFS set while the flush is in progress.
  wr(rf, r::kGcmd, status | r::kGcmdWbf);
  cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::WriteBufferFlush);
  CHECK(rd(rf, r::kGsts) == (r::kGstsTes | r::kGstsRtps | r::kGstsWbfs));
  rf.complete_wbf();
  CHECK(rd(rf, r::kGsts) == (r::kGstsTes | r::kGstsRtps));

  // Disable translation: TE cleared, the rest of the status written back.
  status = static_cast<uint32_t>(rd(rf, r::kGsts)) & r::kGstsOneShotMask;
  wr(rf, r::kGcmd, status & ~r::kGcmdTe);
  cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetTranslation);
  CHECK_FALSE(cmds[0].enable);
  rf.complete_te(false);
  CHECK(rd(rf, r::kGsts) == r::kGstsRtps);

  // Without CAP.RWBF, WBF is ignored.
  RegisterFile plain{UnitFeatures{}};
  wr(plain, r::kGcmd, r::kGcmdWbf);
  CHECK(plain.take_commands().empty());
  CHECK(rd(plain, r::kGsts) == 0);
  // SFL / EAFL (advanced fault logging) are ignored.
  wr(plain, r::kGcmd, r::kGcmdSfl | r::kGcmdEafl);
  CHECK(plain.take_commands().empty());
}

TEST_CASE("regs: QIE, IRE, SIRTP and CFI are accepted and mirrored on completion",
          "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  using K = Command::Kind;
  wr(rf, r::kGcmd, r::kGcmdQie);
  auto cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetQueuedInvalidation);
  CHECK(cmds[0].enable);
  rf.complete_qie(true);
  CHECK(rd(rf, r::kGsts) == r::kGstsQies);
  CHECK(rf.queued_invalidation_enabled());

  wr(rf, r::kIrta, 0x0000000fedcb0800ull | 0x7, 8);  // EIME, S = 7 (256 entries)
  wr(rf, r::kGcmd, r::kGcmdQie | r::kGcmdSirtp);
  cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetInterruptRemapTable);
  rf.complete_sirtp();
  REQUIRE(rf.interrupt_remap_table());
  CHECK(rf.interrupt_remap_table()->address == 0x0000000fedcb0000ull);
  CHECK(rf.interrupt_remap_table()->eime);
  CHECK(rf.interrupt_remap_table()->size == 7);
  CHECK(rd(rf, r::kGsts) == (r::kGstsQies | r::kGstsIrtps));

  wr(rf, r::kGcmd, r::kGcmdQie | r::kGcmdIre);
  cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetInterruptRemapping);
  rf.complete_ire(true);
  CHECK(rf.interrupt_remapping_enabled());

  wr(rf, r::kGcmd, r::kGcmdQie | r::kGcmdIre | r::kGcmdCfi);
  cmds = rf.take_commands();
  REQUIRE(cmds.size() == 1);
  CHECK(cmds[0].kind == K::SetCompatibilityFormat);
  rf.complete_cfi(true);
  CHECK(rd(rf, r::kGsts) == (r::kGstsQies | r::kGstsIres | r::kGstsIrtps | r::kGstsCfis));

  // Several changes in one write: pointers first, TE last.
  RegisterFile rf2{UnitFeatures{}};
  wr(rf2, r::kGcmd, r::kGcmdTe | r::kGcmdSrtp | r::kGcmdQie);
  cmds = rf2.take_commands();
  REQUIRE(cmds.size() == 3);
  CHECK(cmds[0].kind == K::SetRootTablePointer);
  CHECK(cmds[1].kind == K::SetQueuedInvalidation);
  CHECK(cmds[2].kind == K::SetTranslation);

  // Without ECAP.QI / IR these commands are ignored.
  UnitFeatures bare;
  bare.qi = bare.ir = bare.eim = bare.pi = bare.dt = false;
  RegisterFile rb{bare};
  wr(rb, r::kGcmd, r::kGcmdQie | r::kGcmdIre | r::kGcmdSirtp | r::kGcmdCfi);
  CHECK(rb.take_commands().empty());
}

TEST_CASE("regs: RTADDR and TTM are latched on SRTP completion", "[unit][regs]") {
  UnitFeatures f;
  f.smts = true;
  RegisterFile rf{f};
  wr(rf, r::kRtaddr, 0x0000000123456000ull | (uint64_t{r::kTtmScalable} << 10), 8);
  CHECK(rd(rf, r::kRtaddr, 8) == 0x0000000123456400ull);
  wr(rf, r::kGcmd, r::kGcmdSrtp);
  // Software changes RTADDR before completion: the value at SRTP is latched.
  wr(rf, r::kRtaddr, 0x0000000999999000ull, 8);
  CHECK_FALSE(rf.root_table());
  rf.complete_srtp();
  REQUIRE(rf.root_table());
  CHECK(*rf.root_table() == RootTablePointer{0x0000000123456000ull, r::kTtmScalable});
  // A second SRTP clears RTPS; the old pointer stays active until completion.
  wr(rf, r::kGcmd, r::kGcmdSrtp);
  CHECK((rd(rf, r::kGsts) & r::kGstsRtps) == 0);
  CHECK(*rf.root_table() == RootTablePointer{0x0000000123456000ull, r::kTtmScalable});
  rf.complete_srtp();
  CHECK(*rf.root_table() == RootTablePointer{0x0000000999999000ull, r::kTtmLegacy});
  CHECK(rd(rf, r::kGsts) & r::kGstsRtps);
  // A legacy-only unit has no TTM: bits 11:10 are reserved.
  RegisterFile legacy{UnitFeatures{}};
  wr(legacy, r::kRtaddr, 0x0000000123456C00ull, 8);
  wr(legacy, r::kGcmd, r::kGcmdSrtp);
  legacy.complete_srtp();
  CHECK(*legacy.root_table() == RootTablePointer{0x0000000123456000ull, r::kTtmLegacy});
}

// ---------------------------------------------------------------------------
// CCMD / IOTLB_REG

TEST_CASE("regs: CCMD context-cache invalidation at each granularity", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  using K = Command::Kind;
  using G = ContextGranularity;
  auto ccmd = [](unsigned cirg, uint64_t fm, uint64_t sid, uint64_t did) {
    return r::kCcmdIcc | (uint64_t{cirg} << 61) | (fm << 32) | (sid << 16) | did;
  };
  SECTION("global") {
    wr(rf, r::kCcmd, ccmd(1, 0, 0, 0), 8);
    auto cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].kind == K::ContextInvalidate);
    CHECK(cmds[0].context == ContextInvalidation{G::Global, 0, 0, 0});
    CHECK(rd(rf, r::kCcmd, 8) == ccmd(1, 0, 0, 0));  // ICC still set
    rf.complete_ccmd(G::Global);
    CHECK(rd(rf, r::kCcmd, 8) == ((uint64_t{1} << 61) | (uint64_t{1} << 59)));
  }
  SECTION("domain") {
    wr(rf, r::kCcmd, ccmd(2, 0, 0, 0xBEEF), 8);
    auto cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].context == ContextInvalidation{G::Domain, 0xBEEF, 0, 0});
    // Carried out globally: CAIG reports it.
    rf.complete_ccmd(G::Global);
    CHECK(rd(rf, r::kCcmd, 8) == ((uint64_t{2} << 61) | (uint64_t{1} << 59) | 0xBEEF));
  }
  SECTION("device, with function mask, written as two dwords (low first)") {
    const uint64_t v = ccmd(3, 2, 0x3A0F, 0x0007);
    wr(rf, r::kCcmd, v & 0xFFFFFFFF);
    CHECK(rf.take_commands().empty());  // the low dword alone issues nothing
    wr(rf, r::kCcmd + 4, v >> 32);
    auto cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].context == ContextInvalidation{G::Device, 0x0007, 0x3A0F, 2});
    // While ICC is set, further writes are dropped.
    wr(rf, r::kCcmd, ccmd(1, 0, 0, 0x1), 8);
    CHECK(rf.take_commands().empty());
    CHECK((rd(rf, r::kCcmd, 8) & 0xFFFF) == 0x0007);
    rf.complete_ccmd(G::Device);
    CHECK(rd(rf, r::kCcmd, 8) == ((uint64_t{3} << 61) | (uint64_t{3} << 59) | 0x0007));
  }
  SECTION("reserved granularity: ignored, CAIG = 00") {
    wr(rf, r::kCcmd, ccmd(0, 0, 0, 0x5), 8);
    CHECK(rf.take_commands().empty());
    CHECK(rd(rf, r::kCcmd, 8) == 0x5);
  }
  SECTION("DID is masked to the domain-id width") {
    UnitFeatures f;
    f.nd = 2;  // 8-bit domain ids
    RegisterFile small{f};
    wr(small, r::kCcmd, ccmd(2, 0, 0, 0x1234), 8);
    auto cmds = small.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].context.did == 0x34);
  }
}

TEST_CASE("regs: IOTLB invalidation at each granularity", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  using K = Command::Kind;
  using G = IotlbGranularity;
  auto iotlb = [](unsigned iirg, uint64_t did, bool dr = false, bool dw = false) {
    return r::kIotlbIvt | (uint64_t{iirg} << 60) | (did << 32) | (dr ? r::kIotlbDr : 0) |
           (dw ? r::kIotlbDw : 0);
  };
  SECTION("global") {
    wr(rf, kIotlb, iotlb(1, 0), 8);
    auto cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].kind == K::IotlbInvalidate);
    CHECK(cmds[0].iotlb == IotlbInvalidation{G::Global, G::Global, 0, 0, 0, false, false, false});
    CHECK(rd(rf, kIotlb, 8) == iotlb(1, 0));
    rf.complete_iotlb(G::Global);
    CHECK(rd(rf, kIotlb, 8) == ((uint64_t{1} << 60) | (uint64_t{1} << 57)));
  }
  SECTION("domain, with drains, upper dword written last") {
    const uint64_t v = iotlb(2, 0x00AB, true, true);
    wr(rf, kIotlb, v & 0xFFFFFFFF);
    CHECK(rf.take_commands().empty());
    wr(rf, kIotlb + 4, v >> 32);
    auto cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].iotlb == IotlbInvalidation{G::Domain, G::Domain, 0xAB, 0, 0, false, true, true});
    rf.complete_iotlb(G::Domain);
    CHECK(rd(rf, kIotlb, 8) ==
          ((uint64_t{2} << 60) | (uint64_t{2} << 57) | r::kIotlbDr | r::kIotlbDw | (uint64_t{0xAB} << 32)));
  }
  SECTION("page-selective with address, mask and hint from IVA") {
    wr(rf, kIva, 0x0000000012345000ull | r::kIvaIh | 9, 8);  // 2 MiB (AM 9), leaf only
    wr(rf, kIotlb, iotlb(3, 0x0042), 8);
    auto cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].iotlb ==
          IotlbInvalidation{G::Page, G::Page, 0x42, 0x12345000, 9, true, false, false});
    // IVA bits at and above MGAW (48) are ignored.
    wr(rf, kIotlb, 0, 8);  // (ignored: IVT still set)
    rf.complete_iotlb(G::Page);
    CHECK(((rd(rf, kIotlb, 8) >> 57) & 3) == 3);
    CHECK((rd(rf, kIotlb, 8) & r::kIotlbIvt) == 0);
    wr(rf, kIva, 0xFFFF000012345000ull, 8);
    wr(rf, kIotlb, iotlb(3, 1), 8);
    cmds = rf.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].iotlb.addr == 0x0000000012345000ull);
    CHECK(cmds[0].iotlb.am == 0);
    CHECK_FALSE(cmds[0].iotlb.ih);
  }
  SECTION("page-selective with AM above MAMV: ignored, IAIG = 00") {
    wr(rf, kIva, 0x0000000040000000ull | 19, 8);  // MAMV is 18
    wr(rf, kIotlb, iotlb(3, 1), 8);
    CHECK(rf.take_commands().empty());
    CHECK(rd(rf, kIotlb, 8) == ((uint64_t{3} << 60) | (uint64_t{1} << 32)));
    wr(rf, kIva, 0x0000000040000000ull | 18, 8);  // AM == MAMV is fine
    wr(rf, kIotlb, iotlb(3, 1), 8);
    CHECK(rf.take_commands().size() == 1);
  }
  SECTION("reserved granularity: ignored, IAIG = 00") {
    wr(rf, kIotlb, iotlb(0, 7), 8);
    CHECK(rf.take_commands().empty());
    CHECK(rd(rf, kIotlb, 8) == (uint64_t{7} << 32));
  }
  SECTION("page-selective without CAP.PSI is done domain-selectively") {
    UnitFeatures f;
    f.psi = false;
    f.drd = f.dwd = false;  // DR/DW then read as 0 and are not passed on
    RegisterFile np{f};
    wr(np, kIva, 0x0000000012345000ull | 40, 8);
    wr(np, kIotlb, iotlb(3, 5, true, true), 8);
    auto cmds = np.take_commands();
    REQUIRE(cmds.size() == 1);
    CHECK(cmds[0].iotlb.granularity == G::Domain);
    CHECK(cmds[0].iotlb.requested == G::Page);
    CHECK(cmds[0].iotlb.did == 5);
    CHECK_FALSE(cmds[0].iotlb.dr);
    CHECK_FALSE(cmds[0].iotlb.dw);
    np.complete_iotlb(cmds[0].iotlb.granularity);
    CHECK(rd(np, kIotlb, 8) == ((uint64_t{3} << 60) | (uint64_t{2} << 57) | (uint64_t{5} << 32)));
  }
}

// ---------------------------------------------------------------------------
// Fault recording and the fault event

TEST_CASE("regs: fault record fields", "[unit][regs]") {
  UnitFeatures f;
  f.smts = f.pasid = true;
  f.pss = 19;
  RegisterFile rf{f};
  FaultRecord fr = fault(0x3A0F, 0x0000123456789ABCull, 0x06, /*write=*/false);
  fr.has_pasid = true;
  fr.pasid = 0xABCDE;
  fr.exec = true;
  fr.priv = true;
  fr.at = 2;
  rf.record_fault(fr);
  CHECK(frcd_lo(rf, 0) == 0x0000123456789000ull);
  CHECK(frcd_hi(rf, 0) == (r::kFrcdF | r::kFrcdT | (uint64_t{2} << 60) |
                           (uint64_t{0xABCDE} << 40) | (uint64_t{0x06} << 32) | r::kFrcdPp |
                           r::kFrcdExe | r::kFrcdPriv | 0x3A0F));
  // 32-bit view as Linux reads it: dword 3 holds F (31), T (30), FR (7:0).
  CHECK(rd(rf, kFrcd0 + 12) == ((frcd_hi(rf, 0) >> 32) & 0xFFFFFFFF));
  // A write fault: T = 0. Without ECAP.PASID the PASID fields stay 0.
  RegisterFile legacy{UnitFeatures{}};
  legacy.record_fault(fr);
  CHECK(frcd_hi(legacy, 0) ==
        (r::kFrcdF | r::kFrcdT | (uint64_t{2} << 60) | (uint64_t{0x06} << 32) | 0x3A0F));
  legacy.record_fault(fault(0x0100, 0x2000, 0x05, /*write=*/true));
  CHECK(frcd_hi(legacy, 1) == (r::kFrcdF | (uint64_t{0x05} << 32) | 0x0100));
}

TEST_CASE("regs: fault recording rotates FRI, sets PPF, overflows into PFO", "[unit][regs]") {
  UnitFeatures f;
  f.nfr = 4;
  RegisterFile rf{f};
  wr(rf, r::kFectl, 0);  // unmask

  // First fault: register 0, PPF set, FRI = 0, interrupt now.
  CHECK(rf.record_fault(fault(1, 0x1000)));
  CHECK(fsts(rf) == r::kFstsPpf);
  CHECK(fri(rf) == 0);
  // More faults while PPF is set: recorded in 1, 2, 3, no new interrupt, FRI unchanged.
  CHECK_FALSE(rf.record_fault(fault(2, 0x2000)));
  CHECK_FALSE(rf.record_fault(fault(3, 0x3000)));
  CHECK_FALSE(rf.record_fault(fault(4, 0x4000)));
  CHECK(fri(rf) == 0);
  for (unsigned i = 0; i < 4; ++i) {
    CHECK((frcd_hi(rf, i) & 0xFFFF) == i + 1);
    CHECK(frcd_lo(rf, i) == (i + 1) * 0x1000);
  }
  // Fifth fault: register 0 (next) still holds an unserviced fault: PFO.
  CHECK_FALSE(rf.record_fault(fault(5, 0x5000)));
  CHECK(fsts(rf) == (r::kFstsPpf | r::kFstsPfo));
  CHECK((frcd_hi(rf, 0) & 0xFFFF) == 1);
  // While PFO is set nothing is recorded, even into a freed register.
  wr(rf, kFrcd0 + 8, r::kFrcdF, 8);  // software clears F of register 0 (RW1C)
  CHECK((frcd_hi(rf, 0) & r::kFrcdF) == 0);
  CHECK_FALSE(rf.record_fault(fault(6, 0x6000)));
  CHECK((frcd_hi(rf, 0) & r::kFrcdF) == 0);
  // Clearing PFO (RW1C; writing PPF is ignored) lets logging resume at register 0.
  wr(rf, r::kFsts, r::kFstsPfo | r::kFstsPpf);
  CHECK(fsts(rf) == r::kFstsPpf);  // registers 1..3 still pending
  CHECK_FALSE(rf.record_fault(fault(7, 0x7000)));
  CHECK((frcd_hi(rf, 0) & 0xFFFF) == 7);

  // Software services everything, the way Linux's handler does: from FRI,
  // write F back (as the upper dword) until a clear F is found.
  for (unsigned i = 0; i < 4; ++i) wr(rf, kFrcd0 + 16 * i + 12, 0x80000000);
  CHECK(fsts(rf) == 0);  // PPF is the OR of the F bits
  // The next fault goes to register 1 (the internal index kept rotating);
  // PPF rises again so FRI points at it and an interrupt is due.
  CHECK(rf.record_fault(fault(8, 0x8000)));
  CHECK(fri(rf) == 1);
  CHECK((frcd_hi(rf, 1) & 0xFFFF) == 8);
  CHECK(fsts(rf) == (r::kFstsPpf | (1u << 8)));
  // Writing 0 to F or to the RO fields changes nothing.
  wr(rf, kFrcd0 + 16 + 8, 0x7FFFFFFFFFFFFFFFull, 8);
  CHECK((frcd_hi(rf, 1) & 0xFFFF) == 8);
  CHECK(frcd_hi(rf, 1) & r::kFrcdF);
}

TEST_CASE("regs: fault event masking with FECTL.IM and IP", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  wr(rf, r::kFedata, 0x4021);
  wr(rf, r::kFeaddr, 0xFEE01000);
  wr(rf, r::kFeuaddr, 0x0);
  CHECK(rf.fault_event_message().address == 0xFEE01000);
  CHECK(rf.fault_event_message().data == 0x4021);

  // IM is set at reset: the fault sets IP, no interrupt.
  CHECK_FALSE(rf.record_fault(fault(1, 0x1000)));
  CHECK(rd(rf, r::kFectl) == (r::kCtlIm | r::kCtlIp));
  CHECK_FALSE(rf.take_fault_event());
  // Writes that keep IM set release nothing.
  wr(rf, r::kFectl, r::kCtlIm);
  CHECK_FALSE(rf.take_fault_event());
  // Clearing IM with IP set sends the held interrupt and clears IP.
  wr(rf, r::kFectl, 0);
  CHECK(rf.take_fault_event());
  CHECK_FALSE(rf.take_fault_event());  // once
  CHECK(rd(rf, r::kFectl) == 0);
  // Unmasked, PPF still set: a further fault raises no new event.
  CHECK_FALSE(rf.record_fault(fault(2, 0x2000)));
  CHECK(rd(rf, r::kFectl) == 0);

  // IQE/ICE/ITE follow the same rule.
  RegisterFile q{UnitFeatures{}};
  wr(q, r::kFectl, 0);
  CHECK(q.report_fault_status(r::kFstsIqe));
  CHECK(fsts(q) == r::kFstsIqe);
  CHECK_FALSE(q.report_fault_status(r::kFstsIte));  // IQE still pending
  CHECK(fsts(q) == (r::kFstsIqe | r::kFstsIte));
  wr(q, r::kFsts, r::kFstsIqe | r::kFstsIte);  // RW1C
  CHECK(fsts(q) == 0);
  CHECK(q.report_fault_status(r::kFstsIce));
  CHECK_FALSE(q.report_fault_status(r::kFstsPpf));  // not a QI status bit
}

TEST_CASE("regs: IP is cleared when software services the faults while masked",
          "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  CHECK_FALSE(rf.record_fault(fault(1, 0x1000)));
  CHECK(rd(rf, r::kFectl) == (r::kCtlIm | r::kCtlIp));
  // Clear F: PPF drops, nothing else pending, so hardware clears IP.
  wr(rf, kFrcd0 + 8, r::kFrcdF, 8);
  CHECK(fsts(rf) == 0);
  CHECK(rd(rf, r::kFectl) == r::kCtlIm);
  // Unmasking now sends nothing.
  wr(rf, r::kFectl, 0);
  CHECK_FALSE(rf.take_fault_event());
  // The same with an invalidation error cleared through FSTS.
  RegisterFile q{UnitFeatures{}};
  CHECK_FALSE(q.report_fault_status(r::kFstsIqe));
  CHECK(rd(q, r::kFectl) == (r::kCtlIm | r::kCtlIp));
  wr(q, r::kFsts, r::kFstsIqe);
  CHECK(rd(q, r::kFectl) == r::kCtlIm);
}

// ---------------------------------------------------------------------------
// Protected memory regions

TEST_CASE("regs: PMEN, PLMBASE/LIMIT and PHMBASE/LIMIT", "[unit][regs]") {
  RegisterFile rf{UnitFeatures{}};
  wr(rf, r::kPmen, 0xFFFFFFFF);
  CHECK(rd(rf, r::kPmen) == (r::kPmenEpm | r::kPmenPrs));  // PRS mirrors EPM
  CHECK(rf.protected_memory_enabled());
  wr(rf, r::kPmen, r::kPmenPrs);  // PRS is RO: EPM cleared, PRS follows
  CHECK(rd(rf, r::kPmen) == 0);
  CHECK_FALSE(rf.protected_memory_enabled());
  // 2 MiB granularity: bits 20:0 read 0 (software finds N by writing ones).
  wr(rf, r::kPlmbase, 0xFFFFFFFF);
  wr(rf, r::kPlmlimit, 0x3FFFFFFF);
  CHECK(rd(rf, r::kPlmbase) == 0xFFE00000);
  CHECK(rd(rf, r::kPlmlimit) == 0x3FE00000);
  // High region: bits at and above HAW (46) ignored.
  wr(rf, r::kPhmbase, ~uint64_t{0}, 8);
  wr(rf, r::kPhmlimit, 0x0000001234567890ull, 8);
  CHECK(rd(rf, r::kPhmbase, 8) == 0x00003FFFFFE00000ull);
  CHECK(rd(rf, r::kPhmlimit, 8) == 0x0000001234400000ull);
  // Low-only unit: no PHM registers.
  UnitFeatures lo;
  lo.phmr = false;
  RegisterFile rl{lo};
  wr(rl, r::kPhmbase, ~uint64_t{0}, 8);
  CHECK(rd(rl, r::kPhmbase, 8) == 0);
  wr(rl, r::kPmen, r::kPmenEpm);
  CHECK(rd(rl, r::kPmen) == (r::kPmenEpm | r::kPmenPrs));
}
