// The PCI bridges of a platform (platform.bridges): root ports and switch
// ports above the endpoints. They are descriptions, not components: they
// place multi-hop DMAR device-scope paths (VT-d 8.3.1) and bridge scopes,
// decide which endpoints an ATSR's root port covers (8.5), and form IOMMU
// groups (iommu_groups.h).
#pragma once
#include <cstdint>
#include <map>

#include "common/bdf.h"
#include "common/config.h"

namespace iommusim {

struct Bridge {
  std::uint8_t secondary = 0, subordinate = 0;  // the buses below the bridge
  bool acs = true;  // PCIe ACS (P2P request redirect): peers below it are isolated
};
// platform.bridges: [{bdf, secondary, subordinate, acs}]: the bridges DMAR
// paths go through, and the topology IOMMU groups come from (read, and so
// checked, whether or not a DMAR is imported).
std::map<Bdf, Bridge> read_bridges(ConfigNode plat);

}  // namespace iommusim
