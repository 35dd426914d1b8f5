// Register values with more than one field, decoded and encoded in one place
// (bit positions in registers.h):
//   RTADDR_REG (VT-d 11.4.5): the root table pointer latched by GCMD.SRTP;
//   IRTA_REG (11.4.30): the interrupt remapping table pointer latched by
//     GCMD.SIRTP;
//   FEDATA/FEADDR/FEUADDR (11.4.9.3-5) and IEDATA/IEADDR/IEUADDR (11.4.9.7-9):
//     the interrupt message of a fault or invalidation completion event;
//   FRCD_REG (11.4.14): a primary fault record.
#pragma once
#include <array>
#include <cstdint>

#include "common/types.h"
#include "vtd/registers.h"

namespace iommusim {

// RTADDR 63:12 (RTA) and 11:10 (TTM).
struct RootTablePointer {
  Addr address = 0;
  unsigned ttm = 0;  // 0 legacy, 1 scalable, 3 abort-DMA (reg::kTtm*)
  bool operator==(const RootTablePointer& o) const { return address == o.address && ttm == o.ttm; }
  static RootTablePointer decode(std::uint64_t rtaddr) {
    return {rtaddr & reg::kRtaddrRtaMask, static_cast<unsigned>((rtaddr & reg::kRtaddrTtmMask) >> reg::kRtaddrTtmShift)};
  }
  std::uint64_t encode() const {
    return (address & reg::kRtaddrRtaMask) | ((std::uint64_t{ttm} << reg::kRtaddrTtmShift) & reg::kRtaddrTtmMask);
  }
};

// IRTA 63:12 (IRTA), 11 (EIME), 3:0 (S).
struct InterruptRemapTablePointer {
  Addr address = 0;
  bool eime = false;  // x2APIC mode (IRTA.EIME)
  unsigned size = 0;  // S: the table has 2^(S+1) entries
  static InterruptRemapTablePointer decode(std::uint64_t irta) {
    return {irta & reg::kIrtaAddrMask, (irta & reg::kIrtaEime) != 0, static_cast<unsigned>(irta & reg::kIrtaSMask)};
  }
  std::uint64_t encode() const {
    return (address & reg::kIrtaAddrMask) | (eime ? reg::kIrtaEime : 0) | (std::uint64_t{size} & reg::kIrtaSMask);
  }
};

// An event's interrupt message: the address (upper:lower) and data registers.
struct MsiMessage {
  Addr address = 0;        // FEUADDR:FEADDR / IEUADDR:IEADDR
  std::uint32_t data = 0;  // FEDATA / IEDATA
};

// A primary fault as the translation logic reports it.
struct FaultRecord {
  std::uint16_t sid = 0;    // requester id
  Addr addr = 0;            // fault info: page address (bits 11:0 dropped); for an
                            // interrupt-remapping fault, the index in 63:48
  std::uint8_t reason = 0;  // FR (Appendix "Fault Reason Encodings")
  bool write = false;       // recorded as T = 0 (write); reads/AtomicOps are T = 1
  bool has_pasid = false;   // PP; PV/EXE/PRIV only recorded when set (and ECAP.PASID)
  std::uint32_t pasid = 0;
  bool exec = false;
  bool priv = false;
  unsigned at = 0;          // PCIe AT (recorded only with ECAP.DT)

  // The 128-bit FRCD value {low qword, high qword} with F set. AT is recorded
  // only on a unit with Device-TLB support (`dt`, ECAP.DT), PP/PV/EXE/PRIV
  // only with PASID support (`pasid`, ECAP.PASID) and a PASID prefix.
  std::array<std::uint64_t, 2> encode_frcd(bool dt, bool pasid_supported) const {
    using namespace reg;
    std::uint64_t h = kFrcdF | sid | (std::uint64_t{reason} << kFrcdFrShift);
    if (!write) h |= kFrcdT;
    if (dt) h |= std::uint64_t(at & 3) << kFrcdAtShift;
    if (pasid_supported && has_pasid) {
      h |= kFrcdPp | (std::uint64_t(pasid & 0xFFFFF) << kFrcdPvShift);
      if (exec) h |= kFrcdExe;
      if (priv) h |= kFrcdPriv;
    }
    return {addr & ~std::uint64_t{0xFFF}, h};
  }
};

}  // namespace iommusim
