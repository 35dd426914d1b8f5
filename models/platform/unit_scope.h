// Which devices a DMA-remapping unit serves: its device scope (VT-d 8.3 DRHD,
// 8.3.1 device scope). A unit either has INCLUDE_PCI_ALL (every PCI device of
// its segment not in another unit's scope) or lists devices: PCI endpoints by
// requester ID and PCI sub-hierarchies (a bridge and the buses below it) by
// bus range.
//
// Config (platform.iommus[].scope):
//   scope: { include_pci_all: true }                       (the default)
//   scope: { segment: 0, devices: ["00:03.0", "00:04.0"],
//            subtrees: ["01-05"] }                          (buses 0x01..0x05)
// Assignment (VT-d 8.3: a device is reported in one DRHD scope; the
// INCLUDE_PCI_ALL unit of a segment is listed last and takes the rest): the
// unit whose explicit scope holds the device, else the segment's
// INCLUDE_PCI_ALL unit, else none (the device's DMA is not remapped).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/bdf.h"
#include "common/config.h"

namespace iommusim {

struct BusRange {
  std::uint8_t first = 0, last = 0;  // inclusive
  bool operator==(const BusRange& o) const { return first == o.first && last == o.last; }
};

struct UnitScope {
  std::uint16_t segment = 0;
  bool include_pci_all = true;
  std::vector<Bdf> devices;         // PCI endpoints
  std::vector<BusRange> subtrees;   // PCI sub-hierarchies, by bus range

  // In the explicit part of the scope (not counting INCLUDE_PCI_ALL).
  bool lists(const Bdf& d) const;

  static UnitScope from_config(ConfigNode n);
};

// Parses "BB-BB" (hex bus numbers, inclusive) or "BB" (one bus).
bool parse_bus_range(const std::string& text, BusRange& out);

// Index of the unit serving `d` (rule above), or -1.
int unit_for_device(const std::vector<UnitScope>& scopes, const Bdf& d);

// Checks the scopes of all units together; returns "" or the first problem:
// two INCLUDE_PCI_ALL units in a segment, an INCLUDE_PCI_ALL unit that is not
// the last of its segment, a device or bus range in two units' scopes.
// `names` are the units' names, for the message.
std::string check_scopes(const std::vector<UnitScope>& scopes, const std::vector<std::string>& names);

}  // namespace iommusim
