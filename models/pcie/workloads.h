// Synthetic device workloads (platform `workloads` entries), each a seeded,
// deterministic DmaSource for one endpoint. `kind` selects the generator:
//
//   window  random or sequential DMAs of a fixed size inside an address window
//           (pcie-bench's IOTLB-reach probe; GeneratorSource in dma_source.h);
//           how many are in flight is the endpoint's `tags`
//   stream  large sequential transfers over a region, read, write or both
//   nic     a NIC's descriptor rings: per packet, the descriptor read, the
//           buffer DMA (tx: read, rx: write) of a packet size drawn from a
//           distribution, the descriptor write-back, and an MSI per
//           interrupt-moderation batch; buffers from a pre-mapped pool
//   nvme    an NVMe queue pair: per command, the submission-queue entry read,
//           the PRP-list read when the transfer spans more than two pages,
//           the data DMA (a read command writes host memory), the
//           completion-queue entry write and an MSI per completion batch
//
// Addresses are IOVAs (what the device is programmed with); the platform's
// tables decide what they reach. With `mapping: per_packet` (nic, nvme) they
// are physical addresses instead: the host driver (host.driver) maps the
// ring or queues once and each packet's or command's buffer before the
// device uses it, and unmaps it after completion (pcie/dma_mapper.h,
// host/buffer_pipeline.h); the device DMAs to the IOVAs the driver chose.
//
// Every generator draws from its own splitmix64 stream (seeded from the run
// seed and the device), so a run is reproducible; RecordingSource writes what
// a generator issued as trace-v1 records so that it can be replayed exactly.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/replacement.h"
#include "pcie/dma_source.h"
#include "pcie/size_distribution.h"
#include "trace/trace_record.h"

namespace iommusim {

// Reads a `workloads` entry (without `device`) and builds its generator.
std::unique_ptr<DmaSource> make_workload(ConfigNode n, unsigned address_width, std::uint64_t seed);

struct MsiTarget {
  Addr addr = 0xFEE00000;
  std::uint32_t data = 0x40;
  static MsiTarget from_config(ConfigNode n);
};

struct StreamParams {
  enum class Op { Read, Write, Both } op = Op::Read;
  Addr base = 0x1'0000'0000;
  std::uint64_t size = 64 << 10;   // bytes per transfer
  std::uint64_t count = 1000;      // transfers
  std::uint64_t region = 64 << 20; // the transfers wrap inside [base, base + region)
  Tick start_ps = 0, interval_ps = 0;
  static StreamParams from_config(ConfigNode n, unsigned address_width);
};

class StreamSource : public DmaSource {
 public:
  explicit StreamSource(const StreamParams& p) : p_(p) {}
  bool next(DmaRequest& out) override;

 private:
  StreamParams p_;
  std::uint64_t issued_ = 0;
};

struct NicParams {
  enum class Direction { Rx, Tx, Both } direction = Direction::Rx;
  Addr ring_base = 0x1'0000'0000;  // descriptor ring (IOVA)
  unsigned ring_entries = 256;
  unsigned desc_bytes = 16;
  Addr buffer_base = 0x1'0010'0000;  // buffer pool (IOVA)
  std::uint64_t buffer_bytes = 2048;
  unsigned pool_buffers = 256;
  SizeDistribution packet_size = SizeDistribution::fixed(1500);
  std::uint64_t packets = 10000;
  Tick start_ps = 0, interval_ps = 0;  // packet spacing (0: back to back)
  // Arrivals at an Ethernet line rate instead of interval_ps: each packet
  // takes (size + 20) * 8 bits of wire time (preamble, start delimiter and
  // inter-frame gap are 20 bytes). 0: off.
  double line_rate_gbps = 0;
  unsigned moderation_packets = 32;    // one MSI per this many packets (0: none)
  MsiTarget msi;
  bool per_packet = false;             // mapping: per_packet (else pool: IOVAs pre-mapped)
  static NicParams from_config(ConfigNode n, unsigned address_width);
};

class NicSource : public DmaSource {
 public:
  NicSource(const NicParams& p, std::uint64_t seed);
  bool next(DmaRequest& out) override;
  const PacketBuffers* packet_buffers() const override { return buffers_ ? &*buffers_ : nullptr; }
  void set_mapper(DmaMapper* m) override { mapper_ = m; }
  void completed(const DmaRequest& r, Tick issued, Tick done, bool ok) override;
  std::vector<std::pair<Addr, std::uint32_t>> msi_targets() const override {
    if (p_.moderation_packets == 0) return {};
    return {{p_.msi.addr, p_.msi.data}};
  }

 private:
  void queue_packet();
  NicParams p_;
  std::optional<PacketBuffers> buffers_;
  DmaMapper* mapper_ = nullptr;
  SplitMix64 rng_;
  std::uint64_t packet_ = 0;
  double next_arrival_ps_ = -1;      // line_rate_gbps: when the next packet arrives
  std::vector<DmaRequest> pending_;  // the current packet's requests, reversed
  std::uint64_t seq_ = 0;
};

struct NvmeParams {
  Addr sq_base = 0x1'0000'0000;    // submission queue (64-byte entries)
  Addr cq_base = 0x1'0001'0000;    // completion queue (16-byte entries)
  Addr prp_base = 0x1'0002'0000;   // one 4 KiB PRP-list page per queue slot
  Addr data_base = 0x1'0100'0000;  // data buffers, one per queue slot
  unsigned queue_depth = 64;
  SizeDistribution io_size = SizeDistribution::fixed(4096);
  double read_fraction = 1.0;      // read commands (device writes host memory)
  std::uint64_t commands = 10000;
  Tick start_ps = 0, interval_ps = 0;
  unsigned completions_per_msi = 1;  // interrupt coalescing (0: no MSIs)
  MsiTarget msi;
  bool per_packet = false;           // mapping: per_packet (data buffers mapped per command)
  static NvmeParams from_config(ConfigNode n, unsigned address_width);
};

class NvmeSource : public DmaSource {
 public:
  NvmeSource(const NvmeParams& p, std::uint64_t seed);
  bool next(DmaRequest& out) override;
  const PacketBuffers* packet_buffers() const override { return buffers_ ? &*buffers_ : nullptr; }
  void set_mapper(DmaMapper* m) override { mapper_ = m; }
  void completed(const DmaRequest& r, Tick issued, Tick done, bool ok) override;
  std::vector<std::pair<Addr, std::uint32_t>> msi_targets() const override {
    if (p_.completions_per_msi == 0) return {};
    return {{p_.msi.addr, p_.msi.data}};
  }

 private:
  void queue_command();
  NvmeParams p_;
  std::optional<PacketBuffers> buffers_;
  DmaMapper* mapper_ = nullptr;
  SplitMix64 rng_;
  std::uint64_t command_ = 0;
  std::vector<DmaRequest> pending_;
  std::uint64_t seq_ = 0;
};

// Passes another source's requests through and keeps each as a trace record
// of `device` (time, op, address, size, MSI data).
class RecordingSource : public DmaSource {
 public:
  RecordingSource(std::unique_ptr<DmaSource> inner, const Bdf& device, std::vector<TraceRecord>* sink)
      : inner_(std::move(inner)), device_(device), sink_(sink) {}
  bool next(DmaRequest& out) override;
  std::vector<std::pair<Addr, std::uint32_t>> msi_targets() const override { return inner_->msi_targets(); }
  const PacketBuffers* packet_buffers() const override { return inner_->packet_buffers(); }
  void set_mapper(DmaMapper* m) override { inner_->set_mapper(m); }
  void completed(const DmaRequest& r, Tick issued, Tick done, bool ok) override {
    inner_->completed(r, issued, done, ok);
  }
  std::optional<CachePreparation> cache_preparation() const override { return inner_->cache_preparation(); }
  void register_stats(const StatsGroup& endpoint) override { inner_->register_stats(endpoint); }

 private:
  std::unique_ptr<DmaSource> inner_;
  Bdf device_;
  std::vector<TraceRecord>* sink_;
};

}  // namespace iommusim
