// What a remapping unit implements: the fields of its Capability (CAP_REG,
// VT-d 4.x 11.4.2) and Extended Capability (ECAP_REG, 11.4.3) registers, plus
// the two facts that do not live in them (host address width, from the ACPI
// DMAR table, and the version register).
//
// make_cap()/make_ecap() encode a UnitFeatures; features_from_raw() decodes the
// raw values as Linux prints them at boot ("cap 8d2078c106f0466 ecap f020df")
// and refuses any set bit that iommusim does not model. The per-bit table of
// modelled / not-modelled / reserved bits is cap_bits() / ecap_bits() (the
// definitions in cap_ecap.cpp are the one place to change).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace iommusim {

struct UnitFeatures {
  // --- VER_REG (11.4.1). 0 = derived: 1.0 for a legacy-only unit (what the
  // Xeon in tb/data/dmar-boot-log-8unit.txt reports), 6.0 when SMTS is set (what a
  // scalable-mode Xeon reports: "ver 6:0 cap 9ed008c40780466 ecap 3ee9e86f050df").
  unsigned ver_major = 0, ver_minor = 0;

  // --- Not in CAP/ECAP: ACPI DMAR "Host Address Width" + 1. Bounds the
  // address fields of RTADDR, IQA, IRTA, PHMBASE/LIMIT.
  unsigned haw = 46;

  // --- CAP_REG (defaults: the real Xeon unit of the boot log)
  unsigned nd = 6;          // 2:0   domain-id width 4+2*ND bits (0..6)
  bool rwbf = false;        // 4     write-buffer flush required
  bool plmr = true;         // 5     protected low-memory region
  bool phmr = true;         // 6     protected high-memory region
  bool cm = false;          // 7     caching mode (not-present entries may be cached)
  unsigned sagaw = 0x4;     // 12:8  bit1 = 39-bit/3-level, bit2 = 48-bit/4-level, bit3 = 57-bit/5-level
  unsigned mgaw = 48;       // 21:16 maximum guest address width (encoded as mgaw-1)
  bool zlr = true;          // 22    zero-length reads to write-only pages allowed
  unsigned fro = 0x10;      // 33:24 fault recording registers at fro*16
  bool sp_2m = true;        // 34    SLLPS bit 0: 2 MiB second-level pages
  bool sp_1g = true;        // 35    SLLPS bit 1: 1 GiB second-level pages
  bool psi = true;          // 39    page-selective IOTLB invalidation
  unsigned nfr = 8;         // 47:40 number of fault recording registers (encoded nfr-1), 1..256
  unsigned mamv = 18;       // 53:48 maximum address mask value for PSI
  bool dwd = true;          // 54    write draining on IOTLB invalidation
  bool drd = true;          // 55    read draining on IOTLB invalidation
  bool fl1gp = false;       // 56    first-level 1 GiB pages
  bool pi = true;           // 59    posted interrupts (needs IR)
  bool fl5lp = false;       // 60    first-level 5-level paging
  bool esirtps = false;     // 62    SIRTP also invalidates the interrupt entry cache
  bool esrtps = false;      // 63    SRTP also invalidates the translation caches

  // --- ECAP_REG
  bool c = true;            // 0     page-walk coherency (walks snoop)
  bool qi = true;           // 1     queued invalidation
  bool dt = true;           // 2     Device-TLB (ATS)
  bool ir = true;           // 3     interrupt remapping
  bool eim = true;          // 4     extended interrupt mode (x2APIC), needs IR
  bool pt = true;           // 6     pass-through
  bool sc = true;           // 7     snoop control
  unsigned iro = 0x20;      // 17:8  IOTLB registers at iro*16
  unsigned mhmv = 15;       // 23:20 maximum handle mask value (IEC invalidation)
  bool nest = false;        // 26    nested translation
  unsigned pss = 0;         // 39:35 PASID width - 1
  bool pasid = false;       // 40    requests-with-PASID
  bool smts = false;        // 43    scalable-mode translation
  bool slts = false;        // 46    second-level (second-stage) translation in scalable mode
  bool flts = false;        // 47    first-level (first-stage) translation in scalable mode

  // Domain-id width in bits (4 + 2*ND) and its mask.
  unsigned domain_id_bits() const { return 4 + 2 * nd; }
  uint32_t domain_id_mask() const { return (uint32_t{1} << domain_id_bits()) - 1; }
  // VER_REG value (bits 7:4 major, 3:0 minor), derived when ver_major == 0.
  uint32_t version() const;
};

// Encoders. The features must be valid (validate_features); fields are masked
// to their widths.
uint64_t make_cap(const UnitFeatures& f);
uint64_t make_ecap(const UnitFeatures& f);

// Throws InputError "iommu unit: <field> ..." for an impossible combination:
// ND 7 (reserved), NFR outside 1..256, MGAW outside 21..64, SAGAW empty or with
// a reserved bit, HAW outside 32..52, MAMV > 63, PSS > 19, MHMV > 15, EIM
// without IR, PI without IR, NEST/FLTS/SLTS/PASID without SMTS, FRO/IRO blocks that overlap
// each other or the architectural registers (< 0xF0) or do not fit their fields.
void validate_features(const UnitFeatures& f);

// Places the fault recording registers at 0x100 and the IOTLB registers at the
// next 256-byte boundary after them (0x200 for up to 16 FRCDs: the real Xeon
// layout).
void assign_register_layout(UnitFeatures& f);

// Bytes of the unit's register block: the end of the last register, rounded
// up to 4 KiB pages.
uint64_t register_block_size(const UnitFeatures& f);

// ---- The bit table --------------------------------------------------------
enum class BitSupport {
  Modelled,     // decoded into UnitFeatures and honoured by the model
  NotModelled,  // a defined feature that iommusim does not implement
  Reserved,     // reserved in VT-d 4.x (some were defined by older revisions)
};
struct CapBitInfo {
  unsigned bit;
  const char* name;  // field name as the spec spells it ("SAGAW", "PI")
  BitSupport support;
};
// 64 entries each, indexed by bit.
const std::vector<CapBitInfo>& cap_bits();
const std::vector<CapBitInfo>& ecap_bits();

// One message per set bit that is not Modelled, CAP bits first, low bit first:
//   "cap: bit 59 (PI) is set, but iommusim does not model PI"
//   "cap: bit 38 is set, but it is reserved in VT-d 4.x"
std::vector<std::string> unmodelled_bits(uint64_t cap, uint64_t ecap);

// Decodes the Modelled fields only, silently ignoring every other bit; haw and
// the version keep their defaults. Does not validate.
UnitFeatures decode_cap_ecap(uint64_t cap, uint64_t ecap);

// Strict decode: throws InputError with the first unmodelled_bits() message,
// then decodes and validates (validate_features' messages).
UnitFeatures features_from_raw(uint64_t cap, uint64_t ecap);

}  // namespace iommusim
