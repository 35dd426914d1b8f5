// IOMMU groups (as Linux forms them, drivers/iommu/iommu.c with
// pci_device_group): the sets of devices that can reach each other without
// their requests passing a remapping unit, so that an OS can only isolate them
// together. Derived from the topology the platform knows:
//   * a bridge (root port, switch port) without ACS (PCIe 6.12: Source
//     Validation, P2P Request Redirect, Upstream Forwarding) lets the devices
//     below it talk to each other directly: every device below the outermost
//     such bridge on its path is in one group;
//   * otherwise the functions of one multi-function device share a group
//     unless the device has ACS;
//   * otherwise a device is alone.
// Bridges come from platform.bridges (bus ranges and `acs`); a device is below
// a bridge when its bus is in the bridge's secondary..subordinate range.
#pragma once
#include <map>
#include <vector>

#include "common/bdf.h"
#include "platform/bridges.h"

namespace iommusim {

struct GroupedDevice {
  Bdf bdf;
  bool acs = false;  // the device's own ACS (multi-function isolation)
};

struct IommuGroup {
  int id = 0;
  bool bridged = false;  // formed by a bridge without ACS (peers talk below it)
};

// One entry per device, in the order given; group ids count from 0 in order
// of first appearance.
std::vector<IommuGroup> iommu_groups(const std::vector<GroupedDevice>& devices, const std::map<Bdf, Bridge>& bridges);

}  // namespace iommusim
