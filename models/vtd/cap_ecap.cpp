// CAP_REG / ECAP_REG encode, decode and the modelled-bit table (VT-d 4.x
// 11.4.2, 11.4.3; bit positions cross-checked against Linux
// drivers/iommu/intel/iommu.h cap_* / ecap_* macros and Intel processor
// datasheets' CAP_REG/ECAP_REG tables).
#include "vtd/cap_ecap.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "vtd/registers.h"

namespace iommusim {

namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t{1} << n; }
constexpr uint64_t field(uint64_t v, unsigned shift, unsigned width) {
  return (v >> shift) & ((uint64_t{1} << width) - 1);
}
constexpr uint64_t put(uint64_t v, unsigned shift, unsigned width) {
  return (v & ((uint64_t{1} << width) - 1)) << shift;
}

using S = BitSupport;

// Builds a 64-entry table: every bit Reserved unless listed.
std::vector<CapBitInfo> make_table(std::initializer_list<CapBitInfo> ranges_lo_hi,
                                   std::initializer_list<unsigned> range_ends) {
  std::vector<CapBitInfo> t;
  for (unsigned b = 0; b < 64; ++b) t.push_back({b, "", S::Reserved});
  auto end = range_ends.begin();
  for (const CapBitInfo& r : ranges_lo_hi) {
    for (unsigned b = r.bit; b <= *end; ++b) t[b] = {b, r.name, r.support};
    ++end;
  }
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------
// The table. {first bit, name, support} with the matching last bit in the
// second list. Bits not listed are Reserved in VT-d 4.x. Why each defined but
// unmodelled feature is refused:
//   CAP  AFL     advanced fault logging (deprecated): only primary logging is modelled
//   CAP  ECMDS   enhanced command interface (0x400..)
//   ECAP MTS     memory-type support (MTRR registers 0x100..0x21F)
//   ECAP PRS     page requests (PRQ registers 0xC0..0xEF)
//   ECAP ERS/SRS execute / supervisor requests-with-PASID
//   ECAP NWFS, EAFS, DIT, PDS, VCS, SLADS, SMPWCS, RPS, PMS, ADMS, RPRIVS
// Modelled flags that are pure properties of the unit (no register state):
//   ZLR, DWD/DRD (the IOTLB command carries DR/DW), C (walks snoop: simulated
//   memory is coherent), FL1GP/FL5LP (first-level walker), CM, SC, PT, DT.
const std::vector<CapBitInfo>& cap_bits() {
  static const std::vector<CapBitInfo> t = make_table(
      {{0, "ND", S::Modelled},
       {3, "AFL", S::NotModelled},
       {4, "RWBF", S::Modelled},
       {5, "PLMR", S::Modelled},
       {6, "PHMR", S::Modelled},
       {7, "CM", S::Modelled},
       {9, "SAGAW", S::Modelled},  // SAGAW bits 1..3; bits 0 (30-bit) and 4 reserved
       {16, "MGAW", S::Modelled},
       {22, "ZLR", S::Modelled},
       {24, "FRO", S::Modelled},
       {34, "SLLPS", S::Modelled},  // 2 MiB and 1 GiB; bits 36, 37 reserved
       {39, "PSI", S::Modelled},
       {40, "NFR", S::Modelled},
       {48, "MAMV", S::Modelled},
       {54, "DWD", S::Modelled},
       {55, "DRD", S::Modelled},
       {56, "FL1GP", S::Modelled},
       {59, "PI", S::Modelled},
       {60, "FL5LP", S::Modelled},
       {61, "ECMDS", S::NotModelled},
       {62, "ESIRTPS", S::Modelled},
       {63, "ESRTPS", S::Modelled}},
      {2, 3, 4, 5, 6, 7, 11, 21, 22, 33, 35, 39, 47, 53, 54, 55, 56, 59, 60, 61, 62, 63});
  return t;
}

const std::vector<CapBitInfo>& ecap_bits() {
  static const std::vector<CapBitInfo> t = make_table(
      {{0, "C", S::Modelled},
       {1, "QI", S::Modelled},
       {2, "DT", S::Modelled},
       {3, "IR", S::Modelled},
       {4, "EIM", S::Modelled},
       {6, "PT", S::Modelled},
       {7, "SC", S::Modelled},
       {8, "IRO", S::Modelled},
       {20, "MHMV", S::Modelled},
       {25, "MTS", S::NotModelled},
       {26, "NEST", S::Modelled},
       {29, "PRS", S::NotModelled},
       {30, "ERS", S::NotModelled},
       {31, "SRS", S::NotModelled},
       {33, "NWFS", S::NotModelled},
       {34, "EAFS", S::NotModelled},
       {35, "PSS", S::Modelled},
       {40, "PASID", S::Modelled},
       {41, "DIT", S::NotModelled},
       {42, "PDS", S::NotModelled},
       {43, "SMTS", S::Modelled},
       {44, "VCS", S::NotModelled},
       {45, "SLADS", S::NotModelled},
       {46, "SLTS", S::Modelled},
       {47, "FLTS", S::Modelled},
       {48, "SMPWCS", S::NotModelled},
       {49, "RPS", S::NotModelled},
       {51, "PMS", S::NotModelled},
       {52, "ADMS", S::NotModelled},
       {53, "RPRIVS", S::NotModelled}},
      {0, 1, 2, 3, 4, 6, 7, 17, 23, 25, 26, 29, 30, 31, 33, 34, 39, 40, 41, 42, 43, 44, 45, 46,
       47, 48, 49, 51, 52, 53});
  return t;
}

std::vector<std::string> unmodelled_bits(uint64_t cap, uint64_t ecap) {
  std::vector<std::string> out;
  auto scan = [&out](const char* reg, uint64_t v, const std::vector<CapBitInfo>& table) {
    for (const CapBitInfo& b : table) {
      if (!(v & bit(b.bit))) continue;
      if (b.support == S::NotModelled)
        out.push_back(fmt::format("{}: bit {} ({}) is set, but iommusim does not model {}", reg,
                                  b.bit, b.name, b.name));
      else if (b.support == S::Reserved)
        out.push_back(
            fmt::format("{}: bit {} is set, but it is reserved in VT-d 4.x", reg, b.bit));
    }
  };
  scan("cap", cap, cap_bits());
  scan("ecap", ecap, ecap_bits());
  return out;
}

// ---------------------------------------------------------------------------

uint32_t UnitFeatures::version() const {
  if (ver_major != 0) return ((ver_major & 0xF) << reg::kVerMaxShift) | (ver_minor & 0xF);
  return smts ? 0x60 : 0x10;
}

uint64_t make_cap(const UnitFeatures& f) {
  using namespace reg;
  uint64_t v = 0;
  v |= put(f.nd, kCapNdShift, 3);
  if (f.rwbf) v |= bit(kCapRwbf);
  if (f.plmr) v |= bit(kCapPlmr);
  if (f.phmr) v |= bit(kCapPhmr);
  if (f.cm) v |= bit(kCapCm);
  v |= put(f.sagaw & 0xE, kCapSagawShift, 5);
  v |= put(f.mgaw - 1, kCapMgawShift, 6);
  if (f.zlr) v |= bit(kCapZlr);
  v |= put(f.fro, kCapFroShift, 10);
  if (f.sp_2m) v |= bit(kCapSllpsShift);
  if (f.sp_1g) v |= bit(kCapSllpsShift + 1);
  if (f.psi) v |= bit(kCapPsi);
  v |= put(f.nfr - 1, kCapNfrShift, 8);
  v |= put(f.mamv, kCapMamvShift, 6);
  if (f.dwd) v |= bit(kCapDwd);
  if (f.drd) v |= bit(kCapDrd);
  if (f.fl1gp) v |= bit(kCapFl1gp);
  if (f.pi) v |= bit(kCapPi);
  if (f.fl5lp) v |= bit(kCapFl5lp);
  if (f.esirtps) v |= bit(kCapEsirtps);
  if (f.esrtps) v |= bit(kCapEsrtps);
  return v;
}

uint64_t make_ecap(const UnitFeatures& f) {
  using namespace reg;
  uint64_t v = 0;
  if (f.c) v |= bit(kEcapC);
  if (f.qi) v |= bit(kEcapQi);
  if (f.dt) v |= bit(kEcapDt);
  if (f.ir) v |= bit(kEcapIr);
  if (f.eim) v |= bit(kEcapEim);
  if (f.pt) v |= bit(kEcapPt);
  if (f.sc) v |= bit(kEcapSc);
  v |= put(f.iro, kEcapIroShift, 10);
  v |= put(f.mhmv, kEcapMhmvShift, 4);
  if (f.nest) v |= bit(kEcapNest);
  v |= put(f.pss, kEcapPssShift, 5);
  if (f.pasid) v |= bit(kEcapPasid);
  if (f.smts) v |= bit(kEcapSmts);
  if (f.slts) v |= bit(kEcapSlts);
  if (f.flts) v |= bit(kEcapFlts);
  return v;
}

UnitFeatures decode_cap_ecap(uint64_t cap, uint64_t ecap) {
  using namespace reg;
  UnitFeatures f;
  f.nd = static_cast<unsigned>(field(cap, kCapNdShift, 3));
  f.rwbf = cap & bit(kCapRwbf);
  f.plmr = cap & bit(kCapPlmr);
  f.phmr = cap & bit(kCapPhmr);
  f.cm = cap & bit(kCapCm);
  f.sagaw = static_cast<unsigned>(field(cap, kCapSagawShift, 5) & 0xE);
  f.mgaw = static_cast<unsigned>(field(cap, kCapMgawShift, 6) + 1);
  f.zlr = cap & bit(kCapZlr);
  f.fro = static_cast<unsigned>(field(cap, kCapFroShift, 10));
  f.sp_2m = cap & bit(kCapSllpsShift);
  f.sp_1g = cap & bit(kCapSllpsShift + 1);
  f.psi = cap & bit(kCapPsi);
  f.nfr = static_cast<unsigned>(field(cap, kCapNfrShift, 8) + 1);
  f.mamv = static_cast<unsigned>(field(cap, kCapMamvShift, 6));
  f.dwd = cap & bit(kCapDwd);
  f.drd = cap & bit(kCapDrd);
  f.fl1gp = cap & bit(kCapFl1gp);
  f.pi = cap & bit(kCapPi);
  f.fl5lp = cap & bit(kCapFl5lp);
  f.esirtps = cap & bit(kCapEsirtps);
  f.esrtps = cap & bit(kCapEsrtps);

  f.c = ecap & bit(kEcapC);
  f.qi = ecap & bit(kEcapQi);
  f.dt = ecap & bit(kEcapDt);
  f.ir = ecap & bit(kEcapIr);
  f.eim = ecap & bit(kEcapEim);
  f.pt = ecap & bit(kEcapPt);
  f.sc = ecap & bit(kEcapSc);
  f.iro = static_cast<unsigned>(field(ecap, kEcapIroShift, 10));
  f.mhmv = static_cast<unsigned>(field(ecap, kEcapMhmvShift, 4));
  f.nest = ecap & bit(kEcapNest);
  f.pss = static_cast<unsigned>(field(ecap, kEcapPssShift, 5));
  f.pasid = ecap & bit(kEcapPasid);
  f.smts = ecap & bit(kEcapSmts);
  f.slts = ecap & bit(kEcapSlts);
  f.flts = ecap & bit(kEcapFlts);
  return f;
}

UnitFeatures features_from_raw(uint64_t cap, uint64_t ecap) {
  std::vector<std::string> bad = unmodelled_bits(cap, ecap);
  if (!bad.empty()) throw InputError(bad.front());
  UnitFeatures f = decode_cap_ecap(cap, ecap);
  validate_features(f);
  return f;
}

void validate_features(const UnitFeatures& f) {
  auto fail = [](const std::string& what) { throw InputError("iommu unit: " + what); };
  if (f.nd > 6) fail(fmt::format("nd = {} is reserved (0..6: 4..16-bit domain ids)", f.nd));
  if (f.nfr < 1 || f.nfr > 256)
    fail(fmt::format("nfr = {} is out of range (1..256 fault recording registers)", f.nfr));
  if (f.mgaw < 21 || f.mgaw > 64) fail(fmt::format("mgaw = {} is out of range (21..64)", f.mgaw));
  if (f.sagaw == 0 || (f.sagaw & ~0xEu))
    fail(fmt::format("sagaw = {:#x} must be a non-empty set of bit 1 (39-bit), bit 2 (48-bit), "
                     "bit 3 (57-bit)",
                     f.sagaw));
  if (f.haw < 32 || f.haw > 52) fail(fmt::format("haw = {} is out of range (32..52)", f.haw));
  if (f.mamv > 63) fail(fmt::format("mamv = {} does not fit its 6-bit field", f.mamv));
  if (f.pss > 19) fail(fmt::format("pss = {} is out of range (0..19: PASIDs of up to 20 bits)", f.pss));
  if (f.mhmv > 15) fail(fmt::format("mhmv = {} does not fit its 4-bit field", f.mhmv));
  if (f.eim && !f.ir) fail("eim needs ir (extended interrupt mode is part of interrupt remapping)");
  if (f.pi && !f.ir) fail("pi needs ir (posted interrupts are part of interrupt remapping)");
  // ECAP.IR and ECAP.DT (11.4.3): implementations reporting them also support
  // queued invalidation (their caches are invalidated only through the queue).
  if (f.ir && !f.qi) fail("ir needs qi (interrupt entry caches are invalidated through the invalidation queue)");
  if (f.dt && !f.qi) fail("dt needs qi (device-TLB invalidations go through the invalidation queue)");
  if (!f.smts) {
    if (f.nest) fail("nest needs smts (nested translation is a scalable-mode feature)");
    if (f.flts) fail("flts needs smts (first-level translation is a scalable-mode feature)");
    if (f.slts) fail("slts needs smts (scalable-mode second-level translation)");
    if (f.pasid) fail("pasid needs smts (requests-with-PASID are a scalable-mode feature)");
  }
  if (f.fro >= 1024 || f.iro >= 1024) fail("fro and iro must fit their 10-bit fields");
  const uint64_t frcd_begin = uint64_t{f.fro} * 16, frcd_end = frcd_begin + uint64_t{f.nfr} * 16;
  const uint64_t iotlb_begin = uint64_t{f.iro} * 16, iotlb_end = iotlb_begin + 16;
  if (frcd_begin < reg::kArchitecturalEnd)
    fail(fmt::format("fro = {:#x} puts the fault recording registers at {:#x}, inside the "
                     "architectural registers (below {:#x})",
                     f.fro, frcd_begin, reg::kArchitecturalEnd));
  if (iotlb_begin < reg::kArchitecturalEnd)
    fail(fmt::format("iro = {:#x} puts the IOTLB registers at {:#x}, inside the architectural "
                     "registers (below {:#x})",
                     f.iro, iotlb_begin, reg::kArchitecturalEnd));
  if (iotlb_begin < frcd_end && frcd_begin < iotlb_end)
    fail(fmt::format("the IOTLB registers ({:#x}..{:#x}) overlap the {} fault recording "
                     "registers ({:#x}..{:#x})",
                     iotlb_begin, iotlb_end - 1, f.nfr, frcd_begin, frcd_end - 1));
}

void assign_register_layout(UnitFeatures& f) {
  f.fro = 0x100 / 16;
  const uint64_t frcd_end = 0x100 + uint64_t{f.nfr} * 16;
  f.iro = static_cast<unsigned>(((frcd_end + 0xFF) & ~uint64_t{0xFF}) / 16);
}

uint64_t register_block_size(const UnitFeatures& f) {
  const uint64_t end = std::max({reg::kArchitecturalEnd, uint64_t{f.fro} * 16 + uint64_t{f.nfr} * 16,
                                 uint64_t{f.iro} * 16 + 16});
  return (end + 0xFFF) & ~uint64_t{0xFFF};
}

}  // namespace iommusim
