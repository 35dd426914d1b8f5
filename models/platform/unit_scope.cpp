#include "platform/unit_scope.h"

#include <cstdlib>

#include <fmt/format.h>

namespace iommusim {

bool parse_bus_range(const std::string& text, BusRange& out) {
  auto hex_byte = [](const std::string& s, std::uint8_t& v) {
    if (s.empty() || s.size() > 2) return false;
    char* end = nullptr;
    const unsigned long x = std::strtoul(s.c_str(), &end, 16);
    if (*end != '\0') return false;
    v = static_cast<std::uint8_t>(x);
    return true;
  };
  const auto dash = text.find('-');
  if (dash == std::string::npos) {
    if (!hex_byte(text, out.first)) return false;
    out.last = out.first;
    return true;
  }
  return hex_byte(text.substr(0, dash), out.first) && hex_byte(text.substr(dash + 1), out.last) &&
         out.first <= out.last;
}

bool UnitScope::lists(const Bdf& d) const {
  if (d.segment != segment) return false;
  for (const Bdf& b : devices)
    if (b == d) return true;
  for (const BusRange& r : subtrees)
    if (d.bus >= r.first && d.bus <= r.last) return true;
  return false;
}

UnitScope UnitScope::from_config(ConfigNode n) {
  UnitScope s;
  s.segment = static_cast<std::uint16_t>(n.u64("segment", 0, 0, 0xffff));
  const std::vector<std::string> devices = n.str_list("devices");
  const std::vector<std::string> subtrees = n.str_list("subtrees");
  s.include_pci_all = n.boolean("include_pci_all", devices.empty() && subtrees.empty());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    auto b = parse_bdf(devices[i]);
    if (!b) n.fail("devices", fmt::format("element {}: expected a PCI requester ID BB:DD.F, got '{}'", i, devices[i]));
    if (b->segment != 0 && b->segment != s.segment)
      n.fail("devices", fmt::format("element {}: {} is not in segment {} (the scope's segment)", i, devices[i], s.segment));
    b->segment = s.segment;
    s.devices.push_back(*b);
  }
  for (std::size_t i = 0; i < subtrees.size(); ++i) {
    BusRange r;
    if (!parse_bus_range(subtrees[i], r))
      n.fail("subtrees", fmt::format("element {}: expected a bus range BB-BB (hex, first <= last), got '{}'", i,
                                     subtrees[i]));
    s.subtrees.push_back(r);
  }
  if (s.include_pci_all && (!s.devices.empty() || !s.subtrees.empty()))
    n.fail("include_pci_all", "a unit with INCLUDE_PCI_ALL lists no devices or subtrees (VT-d 8.3)");
  return s;
}

int unit_for_device(const std::vector<UnitScope>& scopes, const Bdf& d) {
  for (std::size_t i = 0; i < scopes.size(); ++i)
    if (!scopes[i].include_pci_all && scopes[i].lists(d)) return static_cast<int>(i);
  for (std::size_t i = 0; i < scopes.size(); ++i)
    if (scopes[i].include_pci_all && scopes[i].segment == d.segment) return static_cast<int>(i);
  return -1;
}

std::string check_scopes(const std::vector<UnitScope>& scopes, const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const UnitScope& a = scopes[i];
    for (std::size_t j = i + 1; j < scopes.size(); ++j) {
      const UnitScope& b = scopes[j];
      if (a.segment != b.segment) continue;
      if (a.include_pci_all && b.include_pci_all)
        return fmt::format("units {} and {} both have INCLUDE_PCI_ALL for segment {}", names[i], names[j], a.segment);
      if (a.include_pci_all)
        return fmt::format("unit {} has INCLUDE_PCI_ALL but is not the last unit of segment {} ({} follows; VT-d 8.3)",
                           names[i], a.segment, names[j]);
      for (const Bdf& d : b.devices)
        if (a.lists(d))
          return fmt::format("device {} is in the scopes of units {} and {}", d.str(), names[i], names[j]);
      for (const BusRange& r : b.subtrees)
        for (const BusRange& q : a.subtrees)
          if (r.first <= q.last && q.first <= r.last)
            return fmt::format("buses {:02x}-{:02x} of unit {} overlap buses {:02x}-{:02x} of unit {}", r.first,
                               r.last, names[j], q.first, q.last, names[i]);
      for (const Bdf& d : a.devices)
        if (b.lists(d))
          return fmt::format("device {} is in the scopes of units {} and {}", d.str(), names[i], names[j]);
    }
  }
  return "";
}

}  // namespace iommusim
