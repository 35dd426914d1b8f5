// A statistics group: the statistics of one model (or one part of a model)
// under one name prefix, registered with one line each (the idea of gem5's
// statistics::Group). A SystemC model makes its group from its instance name,
//     StatsGroup g(stats, name());              // "system.iommu0"
//     Counter& hits = g.counter("iotlb_hits", "IOTLB hits");
// and a part of it, or a scope within it, makes a subgroup:
//     StatsGroup ir = g.group("ir");            // "system.iommu0.ir"
// so that every statistic's name is the SystemC hierarchy plus a leaf.
//
// Units (docs/architecture.md, "Statistics"): events are "Count"; amounts of
// data "Byte"; simulated durations "Tick" (1 Tick = 1 ps) or "Cycle" (of the
// model's own clock, where the statistic is about that clock); host wall time
// "Second"; rates and fractions "Ratio" or "Byte/Second". The defaults below
// follow that: counters and averages count, histograms hold Ticks.
//
// Plain C++: the group keeps a reference to the registry, which owns the
// statistics (their references stay valid for the registry's lifetime).
#pragma once
#include <functional>
#include <string>

#include "common/stats.h"

namespace iommusim {

class StatsGroup {
 public:
  StatsGroup(StatsRegistry& registry, std::string prefix) : registry_(&registry), prefix_(std::move(prefix)) {}

  // The subgroup `prefix.child`.
  StatsGroup group(const std::string& child) const { return StatsGroup(*registry_, name(child)); }

  Counter& counter(const std::string& leaf, const std::string& desc, const std::string& unit = "Count") const {
    return registry_->counter(name(leaf), desc, unit);
  }
  Average& average(const std::string& leaf, const std::string& desc, const std::string& unit = "Count") const {
    return registry_->average(name(leaf), desc, unit);
  }
  Histogram& histogram(const std::string& leaf, const std::string& desc, const std::string& unit = "Tick") const {
    return registry_->histogram(name(leaf), desc, unit);
  }
  Formula& formula(const std::string& leaf, const std::string& desc, const std::string& unit,
                   std::function<double()> fn) const {
    return registry_->formula(name(leaf), desc, unit, std::move(fn));
  }

  // The full name of `leaf` in this group.
  std::string name(const std::string& leaf) const { return prefix_.empty() ? leaf : prefix_ + "." + leaf; }
  const std::string& prefix() const { return prefix_; }
  StatsRegistry& registry() const { return *registry_; }

 private:
  StatsRegistry* registry_;
  std::string prefix_;
};

}  // namespace iommusim
