// The DMAR's reserved memory regions and ATS ports, as platform configuration
// (platform.rmrrs, platform.atsrs; filled by a DMAR import or written by hand).
//
// RMRR (VT-d 8.4): memory that firmware-owned DMA of the listed devices uses
// (USB, graphics stolen memory); an OS identity-maps it in those devices'
// domains before enabling translation. The host driver model does that; the
// platform keeps the regions and checks them.
//
// ATSR (VT-d 8.5): the root ports below which ATS may be enabled (ALL_PORTS:
// every port of the segment). When the platform has ATSRs (a DMAR import, or
// platform.atsrs given), an endpoint with a device TLB must be below one, as
// Linux requires before it enables ATS: it is listed, or on a bus of a listed
// bridge (platform.bridges), or an ATSR of its segment has ALL_PORTS.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "common/bdf.h"
#include "common/config.h"
#include "common/types.h"
#include "platform/bridges.h"

namespace iommusim {

struct RmrrRegion {
  std::uint16_t segment = 0;
  Addr base = 0, limit = 0;  // inclusive; base and limit + 1 4 KiB aligned
  std::vector<Bdf> devices;
  static RmrrRegion from_config(ConfigNode n);
};

struct AtsrPorts {
  std::uint16_t segment = 0;
  bool all_ports = false;
  std::vector<Bdf> ports;
  static AtsrPorts from_config(ConfigNode n);
};

// True when `d` may use ATS under `atsrs` (rule above).
bool ats_allowed(const std::vector<AtsrPorts>& atsrs, const std::map<Bdf, Bridge>& bridges, const Bdf& d);

}  // namespace iommusim
