// IOTLB invalidation requests as the host driver model issues them, and the
// rule Linux's intel-iommu uses to cover an IOVA range with one page-selective
// invalidation (drivers/iommu/intel/iommu.c, calculate_psi_aligned_address()
// and iommu_flush_iotlb_psi(); older kernels inline the same computation in
// iommu_flush_iotlb_psi()).
//
// A request becomes one IOTLB-invalidate queued-invalidation descriptor
// (VT-d 6.5.2.2, type 0x2) through descriptor(); the SystemC shell writes it
// to the invalidation queue and follows it with a wait descriptor.
#pragma once
#include <cstdint>

#include "common/types.h"
#include "vtd/qi_descriptor.h"

namespace iommusim {

// G of the IOTLB-invalidate descriptor.
enum class FlushScope : uint8_t { Global, Domain, Page };

struct IotlbFlush {
  FlushScope scope = FlushScope::Global;
  uint16_t did = 0;   // Domain, Page
  Addr addr = 0;      // Page: 4 KiB aligned, and aligned to 2^am pages
  unsigned am = 0;    // Page: address mask, 2^am pages
  bool ih = false;    // Page: invalidation hint (only leaf entries changed)
  bool dr = false;    // drain reads (Linux sets it when CAP.DRD)
  bool dw = false;    // drain writes (Linux sets it when CAP.DWD)

  // The queued-invalidation descriptor (type 0x2) carrying this request.
  QiDescriptor descriptor() const;

  // First and last byte the request invalidates (Page scope only).
  Addr first() const { return addr; }
  Addr last() const { return addr + ((Addr{1} << (12 + am)) - 1); }

  bool operator==(const IotlbFlush& o) const {
    return scope == o.scope && did == o.did && addr == o.addr && am == o.am && ih == o.ih &&
           dr == o.dr && dw == o.dw;
  }
  bool operator!=(const IotlbFlush& o) const { return !(*this == o); }
};

// The smallest naturally aligned power-of-two block of pages that covers
// [iova, iova + bytes): page-selective invalidation masks the low AM bits of
// the page number, so the address must be aligned to 2^AM pages. Linux first
// rounds the page count up to a power of two; if the start is not aligned to
// that, it widens the mask to the lowest bit above it in which the first and
// last page numbers agree (calculate_psi_aligned_address()). bytes > 0.
struct PsiCover {
  Addr addr = 0;
  unsigned am = 0;
  bool operator==(const PsiCover& o) const { return addr == o.addr && am == o.am; }
};
PsiCover psi_cover(Addr iova, uint64_t bytes);

// What the unit's capabilities allow for invalidating a range
// (iommu_flush_iotlb_psi()): page-selective when CAP.PSI and the mask fits
// CAP.MAMV, otherwise domain-selective.
struct FlushCaps {
  bool psi = true;     // CAP.PSI
  unsigned mamv = 18;  // CAP.MAMV (the project's default unit reports 18)
  bool drd = true;     // CAP.DRD: set DR in IOTLB descriptors
  bool dwd = true;     // CAP.DWD: set DW in IOTLB descriptors
};

// The invalidation Linux issues for a range of domain `did`.
IotlbFlush flush_for_range(uint16_t did, Addr iova, uint64_t bytes, bool ih, const FlushCaps& caps);
// Domain-selective (or global) invalidation, with DR/DW from `caps`.
IotlbFlush flush_domain(uint16_t did, const FlushCaps& caps);
IotlbFlush flush_global(const FlushCaps& caps);

const char* to_string(FlushScope s);

}  // namespace iommusim
