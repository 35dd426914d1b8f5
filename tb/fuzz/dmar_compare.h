// Field-by-field equality of DMAR descriptions, for the DMAR harnesses.
#pragma once
#include <vector>

#include "platform/dmar_description.h"

namespace iommusim_fuzz {

using namespace iommusim;

inline bool same_scopes(const std::vector<DmarDeviceScope>& a, const std::vector<DmarDeviceScope>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].type != b[i].type || a[i].flags != b[i].flags || a[i].enumeration_id != b[i].enumeration_id ||
        a[i].start_bus != b[i].start_bus || a[i].path != b[i].path)
      return false;
  return true;
}

inline bool same(const DmarDescription& a, const DmarDescription& b) {
  if (a.host_address_width != b.host_address_width || a.flags != b.flags || a.oem_id != b.oem_id ||
      a.oem_table_id != b.oem_table_id || a.drhds.size() != b.drhds.size() || a.rmrrs.size() != b.rmrrs.size() ||
      a.atsrs.size() != b.atsrs.size() || a.rhsas.size() != b.rhsas.size() || a.andds.size() != b.andds.size() ||
      a.satcs.size() != b.satcs.size())
    return false;
  for (size_t i = 0; i < a.drhds.size(); ++i) {
    const auto &x = a.drhds[i], &y = b.drhds[i];
    if (x.flags != y.flags || x.size != y.size || x.segment != y.segment || x.reg_base != y.reg_base ||
        !same_scopes(x.scopes, y.scopes) || x.ver != y.ver || x.cap != y.cap || x.ecap != y.ecap)
      return false;
  }
  for (size_t i = 0; i < a.rmrrs.size(); ++i) {
    const auto &x = a.rmrrs[i], &y = b.rmrrs[i];
    if (x.segment != y.segment || x.base != y.base || x.limit != y.limit || !same_scopes(x.scopes, y.scopes))
      return false;
  }
  for (size_t i = 0; i < a.atsrs.size(); ++i) {
    const auto &x = a.atsrs[i], &y = b.atsrs[i];
    if (x.flags != y.flags || x.segment != y.segment || !same_scopes(x.scopes, y.scopes)) return false;
  }
  for (size_t i = 0; i < a.rhsas.size(); ++i)
    if (a.rhsas[i].reg_base != b.rhsas[i].reg_base || a.rhsas[i].proximity_domain != b.rhsas[i].proximity_domain)
      return false;
  for (size_t i = 0; i < a.andds.size(); ++i)
    if (a.andds[i].device_number != b.andds[i].device_number || a.andds[i].object_name != b.andds[i].object_name)
      return false;
  for (size_t i = 0; i < a.satcs.size(); ++i) {
    const auto &x = a.satcs[i], &y = b.satcs[i];
    if (x.flags != y.flags || x.segment != y.segment || !same_scopes(x.scopes, y.scopes)) return false;
  }
  return true;
}

}  // namespace iommusim_fuzz
