// Where an endpoint's DMA engine gets its work: the records of a trace that
// name this device, or a synthetic generator (sequential or uniformly random
// DMAs inside an address window). Generators are seeded and deterministic.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <optional>

#include "common/config.h"
#include "common/replacement.h"
#include "common/stats_group.h"
#include "common/types.h"
#include "mem/cache_state.h"
#include "pcie/dma_mapper.h"
#include "trace/trace_record.h"

namespace iommusim {

struct DmaRequest {
  std::uint64_t seq = 0;   // trace record index, or the generator's request count
  Tick time = 0;           // earliest issue time
  bool write = false;
  Addr addr = 0;
  std::uint64_t size = 0;
  bool has_pasid = false;
  std::uint32_t pasid = 0;
  bool priv = false, exec = false;
  bool translated = false;
  bool from_trace = false; // logged in the transaction log
  bool msi = false;        // an interrupt message: a 4-byte write of `data`
  bool ats = false;        // ATS translation requests for the pages of [addr, addr + size)
  std::uint32_t data = 0;
  std::int64_t release = -1;  // >= 0: completing this request ends the use of buffer `release` (per-packet mapping)
};

class DmaSource {
 public:
  virtual ~DmaSource() = default;
  // Fills `out` with the next request; false when the source is exhausted.
  virtual bool next(DmaRequest& out) = 0;
  // The interrupts (MSI address, data) the source raises, each once, in
  // order of first use, so that a driver can set them up before the run.
  virtual std::vector<std::pair<Addr, std::uint32_t>> msi_targets() const { return {}; }
  // Per-packet mapping (dma_mapper.h): what the driver must map, or null;
  // then the driver's mapper, before the run.
  virtual const PacketBuffers* packet_buffers() const { return nullptr; }
  virtual void set_mapper(DmaMapper*) {}
  // The engine completed `r`: its first TLP (or translation request) left at
  // `issued`, its last completion arrived at `done` (absolute Ticks; r.time is
  // absolute too when the engine calls this).
  virtual void completed(const DmaRequest& /*r*/, Tick /*issued*/, Tick /*done*/, bool /*ok*/) {}
  // The host cache state the workload expects before it starts (pcie-bench's
  // Cache column, mem/cache_state.h) and the host-physical range it applies
  // to; nullopt: no preparation.
  virtual std::optional<CachePreparation> cache_preparation() const { return std::nullopt; }
  // Registers the source's own statistics under its endpoint's group (called
  // once, by Endpoint::set_source).
  virtual void register_stats(const StatsGroup& /*endpoint*/) {}
};

// The dma_r / dma_w / msi / ats records of one device, in file order.
class TraceDmaSource : public DmaSource {
 public:
  explicit TraceDmaSource(std::vector<TraceRecord> records) : records_(std::move(records)) {}
  bool next(DmaRequest& out) override;
  std::vector<std::pair<Addr, std::uint32_t>> msi_targets() const override;

 private:
  std::vector<TraceRecord> records_;
  std::size_t pos_ = 0;
};

struct GeneratorParams {
  enum class Pattern { Sequential, Random } pattern = Pattern::Random;
  bool write = false;
  std::uint64_t size = 64;        // bytes per DMA
  Addr base = 0x1'0000'0000;      // window start (4 GiB)
  std::uint64_t window = 1 << 20; // window size in bytes, >= size
  std::uint64_t count = 10000;    // number of DMAs
  Tick start_ps = 0;              // time of the first DMA
  Tick interval_ps = 0;           // spacing of DMA issue times (0: as fast as tags allow)

  // Reads a `workloads` entry (without its `device` key). `address_width`
  // bounds base + window.
  static GeneratorParams from_config(ConfigNode n, unsigned address_width);
};

// Sequential: base, base+size, ... wrapping at the window's end. Random: a
// size-aligned offset drawn uniformly from the window (splitmix64 stream).
class GeneratorSource : public DmaSource {
 public:
  GeneratorSource(const GeneratorParams& p, std::uint64_t seed);
  bool next(DmaRequest& out) override;

 private:
  GeneratorParams p_;
  SplitMix64 rng_;  // splitmix64 (Steele, Lea, Flood 2014): fixed output on every platform
  std::uint64_t issued_ = 0;
};

}  // namespace iommusim
