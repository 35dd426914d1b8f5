// The host driver model's own statistics (system.host.driver.*; listed with
// their meaning in docs/models/host.md, "Statistics"). The sums over the
// units' DMA-API and flush-queue counters are formulas the driver registers
// beside these, since they read its units.
#pragma once
#include "common/stats_group.h"

namespace iommusim {

struct HostDriverStats {
  explicit HostDriverStats(const StatsGroup& g);
  Counter& pte_writes;
  Counter& table_writes;
  Counter& descriptors;
  Counter& submissions;
  Counter& polls;
  Counter& reg_reads;
  Counter& reg_writes;
  Counter& trace_maps;
  Counter& trace_unmaps;
  Counter& refused;
  Counter& irtes;
  Counter& timer_flushes;
  Counter& ats_enabled;
  Counter& ice_cleared;
  Counter& domain_moves;
  // Times in Ticks (1 ps), like every simulated duration.
  Average& lock_wait;
  Average& wait_time;
  Average& map_time;
  Average& unmap_time;
};

}  // namespace iommusim
