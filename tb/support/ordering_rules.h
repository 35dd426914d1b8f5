// Test helper: translation-ordering rules (iommu/requester_ordering.h) in one
// call, for the ordering tests of tb/unit/iommu.
#pragma once
#include "iommu/requester_ordering.h"

namespace iommusim {

inline OrderingParams ordering_rules(unsigned hit_under_miss, unsigned misses, bool in_order) {
  OrderingParams p;
  p.hit_under_miss = hit_under_miss;
  p.misses = misses;
  p.in_order = in_order;
  return p;
}

}  // namespace iommusim
