// The driver side of a device workload that maps its buffers per packet or
// per command (pcie/dma_mapper.h): a thread of the host driver that, once
// the IOMMU is up, maps the workload's coherent regions (as
// dma_alloc_coherent() does), keeps `depth` buffers mapped ahead of the
// device (a NIC's receive ring refilled with freshly mapped buffers, an NVMe
// queue's commands with their data mapped), and on each interrupt-sized
// batch of completions unmaps the completed buffers (dma_unmap_single(),
// strict or lazy per the driver's policy) and maps the next ones.
//
// Buffer k is the `buffer_bytes` at pool_pa + (k % pool_buffers) *
// buffer_bytes, mapped whole (a receive buffer is mapped at its full size
// before the packet's length is known). The driver handles a batch no
// earlier than the completion time of its last buffer, the moment the
// device's interrupt would reach it.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <systemc>

#include "common/bdf.h"
#include "common/run_error.h"
#include "common/stats_group.h"
#include "host/dma_api.h"
#include "pcie/dma_mapper.h"

namespace iommusim {

class HostDriver;

class BufferPipeline : public DmaMapper {
 public:
  // Statistics under `name` (e.g. system.host.driver.nic0).
  // `stats`: the pipeline's statistics group (<driver>.<endpoint>).
  BufferPipeline(HostDriver& driver, const Bdf& dev, const PacketBuffers& pb, RunError& error,
                 const StatsGroup& stats);

  Addr static_iova(std::size_t i) const override { return statics_.at(i); }
  Addr acquire(std::uint64_t k) override;
  void release(std::uint64_t k, Tick done) override;

  // The driver thread (spawned by HostDriver::add_pipeline).
  void run();

 private:
  Addr buffer_pa(std::uint64_t k) const;
  DmaDirection direction(std::uint64_t k) const;
  void map_next();

  HostDriver& driver_;
  Bdf dev_;
  PacketBuffers pb_;
  RunError& error_;
  std::vector<Addr> statics_;
  std::map<std::uint64_t, Addr> mapped_;           // buffer -> DMA address, until unmapped
  std::deque<std::pair<std::uint64_t, Tick>> done_;  // completed, not yet unmapped
  std::uint64_t next_ = 0, unmapped_ = 0;
  sc_core::sc_event mapped_ev_, released_ev_;
  Counter& buffers_mapped_;
  Counter& batches_;
  Counter& device_waits_;
  Average& device_wait_;
};

}  // namespace iommusim
