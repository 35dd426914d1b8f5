// Turns a DMAR description (an ACPI DMAR table or a Linux boot log,
// dmar_description.h) into the platform it describes, as data
// (ImportedPlatform): one remapping unit per DRHD, in table order, named
// dmar0, dmar1, ... as Linux names them, with its register base, its CAP/ECAP
// when the source gives them (a boot log), the table's host address width,
// and its device scope; the RMRRs and ATSRs; and an idle endpoint for every
// PCI endpoint a DRHD scope names that the platform's endpoints lack. The
// platform builder (platform_builder.h) adds it to the configuration.
//
// Device-scope paths (VT-d 8.3.1): a one-hop path names the device on the
// start bus. A longer path goes through bridges whose secondary bus numbers
// only the PCI configuration knows: platform.bridges gives them
// ({bdf, secondary, subordinate}, bridges.h); a sub-hierarchy scope names a
// bridge and covers its buses secondary..subordinate. I/O APIC, HPET and
// ACPI-namespace scopes are not modelled (no I/O APIC or HPET yet) and are
// skipped.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bdf.h"
#include "common/types.h"
#include "platform/bridges.h"
#include "platform/dmar_description.h"
#include "platform/rmrr_atsr.h"
#include "platform/unit_scope.h"

namespace iommusim {

// A remapping unit from a DRHD (VT-d 8.3).
struct ImportedUnit {
  std::string name;  // dmarN
  Addr reg_base = 0;
  // From a boot log only: the register values, and the table's host address
  // width (at most 52; 0: the description has none). Without CAP/ECAP the
  // width is the unit's features.haw.
  std::optional<std::uint64_t> cap, ecap;
  unsigned haw = 0;
  UnitScope scope;
};

struct ImportedPlatform {
  std::vector<ImportedUnit> units;  // in table order
  std::vector<RmrrRegion> rmrrs;
  std::vector<AtsrPorts> atsrs;
  std::vector<Bdf> endpoints;  // PCI endpoints of DRHD scopes the platform lacks, in scope order
};

// `bridges`: platform.bridges; `listed`: the BDFs platform.endpoints has.
// `source` names the DMAR input in messages. Throws InputError for a scope
// the platform cannot place (a bridge without platform.bridges entry).
ImportedPlatform import_dmar(const DmarDescription& d, const std::map<Bdf, Bridge>& bridges,
                             const std::set<Bdf>& listed, const std::string& source);

}  // namespace iommusim
