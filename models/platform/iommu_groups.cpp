#include "platform/iommu_groups.h"

#include <tuple>

namespace iommusim {

std::vector<IommuGroup> iommu_groups(const std::vector<GroupedDevice>& devices, const std::map<Bdf, Bridge>& bridges) {
  // The group key of each device: (kind, bdf) with kind 0 = below a bridge
  // without ACS (the outermost one), 1 = a multi-function slot, 2 = alone.
  std::vector<std::tuple<int, Bdf>> keys;
  for (const GroupedDevice& d : devices) {
    const Bdf* outer = nullptr;
    unsigned outer_width = 0;
    for (const auto& [b, br] : bridges) {
      if (br.acs || b.segment != d.bdf.segment) continue;
      if (d.bdf.bus < br.secondary || d.bdf.bus > br.subordinate) continue;
      const unsigned width = unsigned(br.subordinate) - br.secondary + 1;
      if (!outer || width > outer_width) {
        outer = &b;
        outer_width = width;
      }
    }
    if (outer) {
      keys.emplace_back(0, *outer);
      continue;
    }
    bool shares_slot = false;
    for (const GroupedDevice& o : devices)
      if (o.bdf != d.bdf && o.bdf.segment == d.bdf.segment && o.bdf.bus == d.bdf.bus && o.bdf.dev == d.bdf.dev)
        shares_slot = true;
    if (shares_slot && !d.acs) keys.emplace_back(1, Bdf{d.bdf.segment, d.bdf.bus, d.bdf.dev, 0});
    else keys.emplace_back(2, d.bdf);
  }
  std::map<std::tuple<int, Bdf>, int> ids;
  std::vector<IommuGroup> out;
  for (const auto& k : keys) {
    const auto it = ids.emplace(k, static_cast<int>(ids.size())).first;
    out.push_back({it->second, std::get<0>(k) == 0});
  }
  return out;
}

}  // namespace iommusim
