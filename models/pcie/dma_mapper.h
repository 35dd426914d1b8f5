// How a device workload that maps its buffers per packet (or per command)
// gets its DMA addresses from the host's driver: the driver maps the
// workload's coherent regions (descriptor rings, queues) once and each
// buffer before the device may use it, and unmaps a buffer once the device
// has completed it (dma_map_single / dma_unmap_single around each packet).
//
// PacketBuffers says what the workload needs; the host driver builds a
// DmaMapper from it (host/buffer_pipeline.h). The device's thread blocks in
// acquire() until the driver has mapped that buffer: a device whose driver
// falls behind waits for buffers (it does not drop packets), so the rate it
// reaches is the rate the driver sustains.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "common/types.h"

namespace iommusim {

enum class BufferDir : std::uint8_t { FromDevice, ToDevice, Alternate, Bidirectional };

struct PacketBuffers {
  std::vector<std::pair<Addr, std::uint64_t>> statics;  // coherent regions: physical address, bytes
  Addr pool_pa = 0;               // buffer k is at pool_pa + (k % pool_buffers) * buffer_bytes
  std::uint64_t buffer_bytes = 0; // bytes mapped per buffer
  unsigned pool_buffers = 1;
  unsigned depth = 1;             // buffers mapped ahead (ring entries, queue depth)
  unsigned batch = 1;             // completions the driver handles per interrupt
  std::uint64_t count = 0;        // buffers in all
  BufferDir dir = BufferDir::FromDevice;  // Alternate: even buffers from, odd to the device
};

class DmaMapper {
 public:
  virtual ~DmaMapper() = default;
  // The DMA address of coherent region i (valid once acquire(0) returned).
  virtual Addr static_iova(std::size_t i) const = 0;
  // Blocks the calling thread until buffer k is mapped; its DMA address.
  virtual Addr acquire(std::uint64_t k) = 0;
  // The device completed buffer k at `done`.
  virtual void release(std::uint64_t k, Tick done) = 0;
};

}  // namespace iommusim
