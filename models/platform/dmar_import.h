// Builds a platform's remapping hardware from a DMAR description (an ACPI DMAR
// table or a Linux boot log, dmar_description.h): one platform.iommus entry per
// DRHD, in table order, named dmar0, dmar1, ... as Linux names them, with its
// register base, its CAP/ECAP when the source gives them (a boot log), the
// table's host address width, and its device scope; platform.rmrrs and
// platform.atsrs from the RMRR and ATSR structures; and an idle endpoint for
// every PCI endpoint a DRHD scope names that platform.endpoints lacks.
//
// Device-scope paths (VT-d 8.3.1): a one-hop path names the device on the
// start bus. A longer path goes through bridges whose secondary bus numbers
// only the PCI configuration knows: platform.bridges gives them
// ({bdf, secondary, subordinate}); a sub-hierarchy scope names a bridge and
// covers its buses secondary..subordinate. I/O APIC, HPET and ACPI-namespace
// scopes are not modelled (no I/O APIC or HPET yet) and are skipped.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "common/bdf.h"

#include "common/config.h"
#include "platform/dmar_description.h"

namespace iommusim {

struct Bridge {
  std::uint8_t secondary = 0, subordinate = 0;  // the buses below the bridge
  bool acs = true;  // PCIe ACS (P2P request redirect): peers below it are isolated
};
// platform.bridges: [{bdf, secondary, subordinate, acs}]: the bridges DMAR
// paths go through, and the topology IOMMU groups come from (read, and so
// checked, whether or not a DMAR is imported).
std::map<Bdf, Bridge> read_bridges(ConfigNode plat);

// Appends the entries to `cfg`. `source` names the DMAR input in messages.
// Throws InputError for a scope the platform cannot place (a bridge without
// platform.bridges entry).
void import_dmar(Config& cfg, const DmarDescription& d, const std::string& source);

}  // namespace iommusim
