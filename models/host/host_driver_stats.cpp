#include "host/host_driver_stats.h"

namespace iommusim {

HostDriverStats::HostDriverStats(const StatsGroup& g)
    : pte_writes(g.counter("pte_writes", "Page-table entry stores")),
      table_writes(g.counter("table_writes", "Stores to root, context, PASID and interrupt remapping tables")),
      descriptors(g.counter("descriptors", "Invalidation descriptors written (wait descriptors included)")),
      submissions(g.counter("submissions", "Invalidation-queue submissions (each ends with a wait the CPU polls)")),
      polls(g.counter("polls", "Status-word and GSTS polls")),
      reg_reads(g.counter("reg_reads", "Register reads")),
      reg_writes(g.counter("reg_writes", "Register writes")),
      trace_maps(g.counter("trace_maps", "Trace map records performed")),
      trace_unmaps(g.counter("trace_unmaps", "Trace unmap records performed")),
      refused(g.counter("refused", "Map/unmap requests the driver refused")),
      irtes(g.counter("irtes", "Interrupt remapping table entries written")),
      timer_flushes(g.counter("timer_flushes", "Flush-queue timer expiries handled")),
      ats_enabled(g.counter("ats_enabled", "Devices whose context entry enables ATS (TT = 01)")),
      ice_cleared(
          g.counter("ice_cleared", "Invalidation completion errors (FSTS.ICE) the driver cleared while waiting")),
      domain_moves(
          g.counter("domain_moves", "Devices moved to another domain during the run (host.driver.events)")),
      lock_wait(g.average("lock_wait",
                          "Time a map, unmap or flush waited for the unit's driver lock (1 Tick = 1 ps)", "Tick")),
      wait_time(g.average("wait_time",
                          "Time from submitting invalidations to seeing their wait complete (1 Tick = 1 ps)", "Tick")),
      map_time(g.average("map_time", "Time per DMA-API map (CPU cost, stores, invalidation waits; 1 Tick = 1 ps)",
                         "Tick")),
      unmap_time(g.average("unmap_time",
                           "Time per DMA-API unmap (CPU cost, stores, invalidation waits; 1 Tick = 1 ps)", "Tick")) {}

}  // namespace iommusim
