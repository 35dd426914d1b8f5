#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "host/buffer_pipeline.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "common/sc_time_conv.h"
#include "common/stats_group.h"
#include "host/host_driver.h"

namespace iommusim {

BufferPipeline::BufferPipeline(HostDriver& driver, const Bdf& dev, const PacketBuffers& pb, RunError& error,
                               const StatsGroup& stats)
    : driver_(driver),
      dev_(dev),
      pb_(pb),
      error_(error),
      buffers_mapped_(stats.counter("buffers_mapped", "Per-packet buffers mapped for the device")),
      batches_(stats.counter("batches", "Completion batches the driver handled (one per interrupt)")),
      device_waits_(stats.counter("device_waits", "Times the device waited for a buffer to be mapped")),
      device_wait_(stats.average("device_wait_time", "Time the device waited for a mapped buffer (1 Tick = 1 ps)",
                                 "Tick")) {
  pb_.depth = std::max(1u, pb_.depth);
  pb_.batch = std::clamp(pb_.batch, 1u, pb_.depth);
  pb_.pool_buffers = std::max(1u, pb_.pool_buffers);
}

Addr BufferPipeline::buffer_pa(std::uint64_t k) const { return pb_.pool_pa + (k % pb_.pool_buffers) * pb_.buffer_bytes; }

DmaDirection BufferPipeline::direction(std::uint64_t k) const {
  switch (pb_.dir) {
    case BufferDir::FromDevice: return DmaDirection::FromDevice;
    case BufferDir::ToDevice: return DmaDirection::ToDevice;
    case BufferDir::Alternate: return (k & 1) ? DmaDirection::ToDevice : DmaDirection::FromDevice;
    case BufferDir::Bidirectional: break;
  }
  return DmaDirection::Bidirectional;
}

Addr BufferPipeline::acquire(std::uint64_t k) {
  auto it = mapped_.find(k);
  if (it == mapped_.end()) {
    const Tick t0 = now_tick();
    ++device_waits_;
    while ((it = mapped_.find(k)) == mapped_.end()) sc_core::wait(mapped_ev_);
    device_wait_.sample(double(now_tick() - t0));
  }
  return it->second;
}

void BufferPipeline::release(std::uint64_t k, Tick done) {
  done_.emplace_back(k, done);
  released_ev_.notify(sc_core::SC_ZERO_TIME);
}

void BufferPipeline::map_next() {
  const std::uint64_t k = next_++;
  Addr iova = 0;
  std::string why;
  if (!driver_.dma_map(dev_, buffer_pa(k), pb_.buffer_bytes, direction(k), iova, &why))
    throw InputError(fmt::format("host driver: per-packet mapping for {}: buffer {} at {:#x}: {}", dev_.str(), k,
                                 buffer_pa(k), why));
  mapped_[k] = iova;
  ++buffers_mapped_;
  mapped_ev_.notify(sc_core::SC_ZERO_TIME);
}

void BufferPipeline::run() {
  try {
    driver_.ready().wait_open();
    for (const auto& [pa, bytes] : pb_.statics) {
      Addr iova = 0;
      std::string why;
      if (!driver_.dma_map(dev_, pa, bytes, DmaDirection::Bidirectional, iova, &why))
        throw InputError(fmt::format("host driver: per-packet mapping for {}: the ring or queue at {:#x}: {}",
                                     dev_.str(), pa, why));
      statics_.push_back(iova);
    }
    for (;;) {
      while (next_ < pb_.count && next_ - unmapped_ < pb_.depth) map_next();
      if (unmapped_ >= pb_.count) return;
      // NAPI: one interrupt per batch of completions (or the last ones).
      const std::uint64_t outstanding = next_ - unmapped_;
      const std::uint64_t need = std::min<std::uint64_t>(pb_.batch, outstanding);
      while (done_.size() < need) sc_core::wait(released_ev_);
      Tick last = 0;
      for (std::size_t i = 0; i < need; ++i) last = std::max(last, done_[i].second);
      if (last > now_tick()) sc_core::wait(to_sc_time(last - now_tick()));
      ++batches_;
      for (std::size_t i = 0; i < need; ++i) {
        const std::uint64_t k = done_.front().first;
        done_.pop_front();
        auto it = mapped_.find(k);
        if (it == mapped_.end())
          throw std::logic_error(fmt::format("buffer {} of {} completed but is not mapped", k, dev_.str()));
        driver_.dma_unmap(dev_, it->second, pb_.buffer_bytes);
        mapped_.erase(it);
        ++unmapped_;
        // Refill as each buffer is freed (a ring's refill follows its clean-up).
        if (next_ < pb_.count && next_ - unmapped_ < pb_.depth) map_next();
      }
    }
  } catch (const std::logic_error& e) {
    error_.fail(std::make_exception_ptr(
        InputError(fmt::format("host driver: per-packet mapping for {}: {}", dev_.str(), e.what()))));
  } catch (...) {
    error_.fail(std::current_exception());
  }
}

}  // namespace iommusim
