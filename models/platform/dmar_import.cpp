#include "platform/dmar_import.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

namespace {

// Walks a scope's path to the device at its end.
Bdf place(const DmarDeviceScope& s, std::uint16_t segment, const std::map<Bdf, Bridge>& bridges,
          const std::string& where) {
  if (s.path.empty()) throw InputError(fmt::format("{}: a device scope without a path cannot be placed", where));
  std::uint8_t bus = s.start_bus;
  Bdf at;
  for (std::size_t i = 0; i < s.path.size(); ++i) {
    at = Bdf{segment, bus, s.path[i].device, s.path[i].function};
    if (i + 1 == s.path.size()) break;
    const auto it = bridges.find(at);
    if (it == bridges.end())
      throw InputError(fmt::format("{}: the path goes through bridge {}: give its bus numbers in platform.bridges "
                                   "({{bdf: \"{}\", secondary: N, subordinate: M}})",
                                   where, at.str(), at.str()));
    bus = it->second.secondary;
  }
  return at;
}

}  // namespace

ImportedPlatform import_dmar(const DmarDescription& d, const std::map<Bdf, Bridge>& bridges,
                             const std::set<Bdf>& listed_in, const std::string& source) {
  ImportedPlatform out;
  std::set<Bdf> listed = listed_in;
  for (std::size_t i = 0; i < d.drhds.size(); ++i) {
    const DmarDrhd& u = d.drhds[i];
    const std::string where = fmt::format("{}: DRHD {} (register base {:#x})", source, i, u.reg_base);
    ImportedUnit unit;
    unit.name = fmt::format("dmar{}", i);
    unit.reg_base = u.reg_base;
    if (u.cap && u.ecap) {
      unit.cap = u.cap;
      unit.ecap = u.ecap;
    }
    unit.haw = std::min(d.host_address_width, 52u);
    unit.scope.segment = u.segment;
    unit.scope.include_pci_all = u.include_pci_all();
    if (!u.include_pci_all()) {
      for (const DmarDeviceScope& s : u.scopes) {
        if (s.type == DmarDeviceScope::Type::PciEndpoint) {
          const Bdf b = place(s, u.segment, bridges, where);
          unit.scope.devices.push_back(b);
          if (listed.insert(b).second) out.endpoints.push_back(b);
        } else if (s.type == DmarDeviceScope::Type::PciSubHierarchy) {
          const Bdf b = place(s, u.segment, bridges, where);
          const auto it = bridges.find(b);
          if (it == bridges.end())
            throw InputError(fmt::format("{}: scope names bridge {}: give its bus numbers in platform.bridges "
                                         "({{bdf: \"{}\", secondary: N, subordinate: M}})",
                                         where, b.str(), b.str()));
          unit.scope.subtrees.push_back({it->second.secondary, it->second.subordinate});
        }
        // I/O APIC, HPET, ACPI namespace devices: not modelled.
      }
    }
    out.units.push_back(std::move(unit));
  }
  for (const DmarRmrr& r : d.rmrrs) {
    RmrrRegion region;
    region.segment = r.segment;
    region.base = r.base;
    region.limit = r.limit;
    for (const DmarDeviceScope& s : r.scopes)
      if (s.type == DmarDeviceScope::Type::PciEndpoint && !s.path.empty())
        region.devices.push_back(place(s, r.segment, bridges, source + ": RMRR"));
    out.rmrrs.push_back(std::move(region));
  }
  for (const DmarAtsr& a : d.atsrs) {
    AtsrPorts ports;
    ports.segment = a.segment;
    ports.all_ports = a.all_ports();
    for (const DmarDeviceScope& s : a.scopes)
      if (!s.path.empty()) ports.ports.push_back(place(s, a.segment, bridges, source + ": ATSR"));
    out.atsrs.push_back(std::move(ports));
  }
  return out;
}

}  // namespace iommusim
