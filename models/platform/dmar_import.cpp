#include "platform/dmar_import.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "common/bdf.h"
#include "common/error.h"

namespace iommusim {

std::map<Bdf, Bridge> read_bridges(ConfigNode plat) {
  std::map<Bdf, Bridge> out;
  for (ConfigNode b : plat.list("bridges")) {
    const std::string text = b.required_str("bdf");
    auto bdf = parse_bdf(text);
    if (!bdf) b.fail("bdf", fmt::format("expected a PCI requester ID BB:DD.F, got '{}'", text));
    Bridge br;
    if (!b.has("secondary")) b.fail("secondary", "required: the bridge's secondary bus number (1..255)");
    br.secondary = static_cast<std::uint8_t>(b.u64("secondary", 1, 1, 255));
    br.subordinate = static_cast<std::uint8_t>(b.u64("subordinate", br.secondary, br.secondary, 255));
    br.acs = b.boolean("acs", true);
    out[*bdf] = br;
  }
  return out;
}

namespace {

// Walks a scope's path: the device at the end, and for a bridge its buses.
struct Placed {
  Bdf bdf;
};

Placed place(const DmarDeviceScope& s, std::uint16_t segment, const std::map<Bdf, Bridge>& bridges,
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
  return {at};
}

}  // namespace

void import_dmar(Config& cfg, const DmarDescription& d, const std::string& source) {
  ConfigNode plat = cfg.root().child("platform");
  const std::map<Bdf, Bridge> bridges = read_bridges(plat);
  std::set<Bdf> listed;
  for (ConfigNode e : plat.list("endpoints")) {
    auto b = parse_bdf(e.str("bdf", ""));
    if (b) listed.insert(*b);
  }
  std::vector<Bdf> new_endpoints;

  for (std::size_t i = 0; i < d.drhds.size(); ++i) {
    const DmarDrhd& u = d.drhds[i];
    const std::string where = fmt::format("{}: DRHD {} (register base {:#x})", source, i, u.reg_base);
    std::string y = fmt::format("{{name: dmar{}, reg_base: {:#x}", i, u.reg_base);
    if (u.cap && u.ecap) {
      y += fmt::format(", cap: {:#x}, ecap: {:#x}", *u.cap, *u.ecap);
      if (d.host_address_width) y += fmt::format(", haw: {}", std::min(d.host_address_width, 52u));
    } else if (d.host_address_width) {
      y += fmt::format(", features: {{haw: {}}}", std::min(d.host_address_width, 52u));
    }
    if (u.include_pci_all()) {
      y += fmt::format(", scope: {{segment: {}, include_pci_all: true}}", u.segment);
    } else {
      std::vector<std::string> devices, subtrees;
      for (const DmarDeviceScope& s : u.scopes) {
        if (s.type == DmarDeviceScope::Type::PciEndpoint) {
          const Bdf b = place(s, u.segment, bridges, where).bdf;
          devices.push_back(fmt::format("\"{}\"", b.str()));
          if (!listed.count(b)) {
            listed.insert(b);
            new_endpoints.push_back(b);
          }
        } else if (s.type == DmarDeviceScope::Type::PciSubHierarchy) {
          const Bdf b = place(s, u.segment, bridges, where).bdf;
          const auto it = bridges.find(b);
          if (it == bridges.end())
            throw InputError(fmt::format("{}: scope names bridge {}: give its bus numbers in platform.bridges "
                                         "({{bdf: \"{}\", secondary: N, subordinate: M}})",
                                         where, b.str(), b.str()));
          subtrees.push_back(fmt::format("\"{:02x}-{:02x}\"", it->second.secondary, it->second.subordinate));
        }
        // I/O APIC, HPET, ACPI namespace devices: not modelled.
      }
      auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
      };
      y += fmt::format(", scope: {{segment: {}, include_pci_all: false, devices: [{}], subtrees: [{}]}}", u.segment,
                       join(devices), join(subtrees));
    }
    y += "}";
    cfg.append_yaml("platform.iommus", y);
  }
  for (const DmarRmrr& r : d.rmrrs) {
    std::string devs;
    for (const DmarDeviceScope& s : r.scopes)
      if (s.type == DmarDeviceScope::Type::PciEndpoint && !s.path.empty()) {
        const Bdf b = place(s, r.segment, bridges, source + ": RMRR").bdf;
        devs += fmt::format("{}\"{}\"", devs.empty() ? "" : ", ", b.str());
      }
    cfg.append_yaml("platform.rmrrs", fmt::format("{{segment: {}, base: {:#x}, limit: {:#x}, devices: [{}]}}",
                                                  r.segment, r.base, r.limit, devs));
  }
  for (const DmarAtsr& a : d.atsrs) {
    std::string ports;
    for (const DmarDeviceScope& s : a.scopes)
      if (!s.path.empty()) {
        const Bdf b = place(s, a.segment, bridges, source + ": ATSR").bdf;
        ports += fmt::format("{}\"{}\"", ports.empty() ? "" : ", ", b.str());
      }
    cfg.append_yaml("platform.atsrs", fmt::format("{{segment: {}, all_ports: {}, ports: [{}]}}", a.segment,
                                                  a.all_ports() ? "true" : "false", ports));
  }
  for (const Bdf& b : new_endpoints)
    cfg.append_yaml("platform.endpoints", fmt::format("{{name: {}, bdf: \"{}\"}}", b.endpoint_name(), b.str()));
}

}  // namespace iommusim
