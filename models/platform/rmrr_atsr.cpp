#include "platform/rmrr_atsr.h"

#include <fmt/format.h>

namespace iommusim {

namespace {

std::vector<Bdf> read_bdfs(ConfigNode& n, const std::string& key, std::uint16_t segment) {
  std::vector<Bdf> out;
  const std::vector<std::string> texts = n.str_list(key);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto b = parse_bdf(texts[i]);
    if (!b) n.fail(key, fmt::format("element {}: expected a PCI requester ID BB:DD.F, got '{}'", i, texts[i]));
    if (b->segment != 0 && b->segment != segment)
      n.fail(key, fmt::format("element {}: {} is not in segment {} (the entry's segment)", i, texts[i], segment));
    b->segment = segment;
    out.push_back(*b);
  }
  return out;
}

}  // namespace

RmrrRegion RmrrRegion::from_config(ConfigNode n) {
  RmrrRegion r;
  r.segment = static_cast<std::uint16_t>(n.u64("segment", 0, 0, 0xffff));
  r.base = n.u64("base", 0);
  r.limit = n.u64("limit", 0);
  if (r.base & 0xfff) n.fail("base", fmt::format("expected a 4 KiB aligned address, got {:#x}", r.base));
  if ((r.limit & 0xfff) != 0xfff)
    n.fail("limit", fmt::format("expected the last byte of a 4 KiB page (limit + 1 aligned), got {:#x}", r.limit));
  if (r.limit < r.base) n.fail("limit", fmt::format("limit {:#x} is below base {:#x}", r.limit, r.base));
  r.devices = read_bdfs(n, "devices", r.segment);
  return r;
}

AtsrPorts AtsrPorts::from_config(ConfigNode n) {
  AtsrPorts a;
  a.segment = static_cast<std::uint16_t>(n.u64("segment", 0, 0, 0xffff));
  a.all_ports = n.boolean("all_ports", false);
  a.ports = read_bdfs(n, "ports", a.segment);
  return a;
}

bool ats_allowed(const std::vector<AtsrPorts>& atsrs, const std::map<Bdf, Bridge>& bridges, const Bdf& d) {
  for (const AtsrPorts& a : atsrs) {
    if (a.segment != d.segment) continue;
    if (a.all_ports) return true;
    for (const Bdf& p : a.ports) {
      if (p == d) return true;
      const auto it = bridges.find(p);
      if (it != bridges.end() && d.bus >= it->second.secondary && d.bus <= it->second.subordinate) return true;
    }
  }
  return false;
}

}  // namespace iommusim
