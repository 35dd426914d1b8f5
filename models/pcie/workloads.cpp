#include "pcie/workloads.h"

#include "pcie/pcie_bench_workload.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace iommusim {

namespace {

Tick ns_key(ConfigNode& n, const std::string& key) {
  return n.time_ns(key, 0, 0, 1e12);
}

// An address key whose region [value, value + bytes) must fit the address space.
Addr region_key(ConfigNode& n, const std::string& key, Addr def, std::uint64_t bytes, unsigned address_width) {
  const std::uint64_t space = address_width >= 64 ? UINT64_MAX : (std::uint64_t{1} << address_width);
  if (bytes > space) n.fail(key, fmt::format("the region of {} bytes does not fit a {}-bit address space", bytes,
                                             address_width));
  return n.u64(key, std::min<Addr>(def, space - bytes), 0, space - bytes);
}

bool per_packet_mapping(ConfigNode& n) {
  return n.choice("mapping", "pool", {"pool", "per_packet"}) == "per_packet";
}

// The last issue time, start + (count - 1) * interval, must not wrap.
void check_schedule(ConfigNode& n, Tick start, Tick interval, std::uint64_t count, const char* what) {
  if (interval && count - 1 > (UINT64_MAX - start) / interval)
    n.fail("interval_ns", fmt::format("{} {} at this interval end beyond the simulator's time range", count, what));
}

DmaRequest request(std::uint64_t seq, Tick time, bool write, Addr addr, std::uint64_t size) {
  DmaRequest r;
  r.seq = seq;
  r.time = time;
  r.write = write;
  r.addr = addr;
  r.size = size;
  return r;
}

DmaRequest msi_request(std::uint64_t seq, Tick time, const MsiTarget& m) {
  DmaRequest r = request(seq, time, true, m.addr, 4);
  r.msi = true;
  r.data = m.data;
  return r;
}

}  // namespace

MsiTarget MsiTarget::from_config(ConfigNode n) {
  MsiTarget m;
  m.addr = n.u64("addr", m.addr, 0xFEE00000, 0xFEEFFFFC);
  if (m.addr & 3) n.fail("addr", fmt::format("expected a 4-byte aligned address, got {:#x}", m.addr));
  m.data = static_cast<std::uint32_t>(n.u64("data", m.data, 0, 0xffffffff));
  return m;
}

// ---- stream -------------------------------------------------------------------

StreamParams StreamParams::from_config(ConfigNode n, unsigned address_width) {
  StreamParams p;
  const std::string op = n.choice("op", "read", {"read", "write", "both"});
  p.op = op == "read" ? Op::Read : op == "write" ? Op::Write : Op::Both;
  p.size = n.u64("size", p.size, 1, 1ull << 30);
  p.region = n.u64("region", std::max(p.region, p.size), p.size, 1ull << 48);
  p.base = region_key(n, "base", p.base, p.region, address_width);
  p.count = n.u64("count", p.count, 1);
  p.start_ps = ns_key(n, "start_ns");
  p.interval_ps = ns_key(n, "interval_ns");
  check_schedule(n, p.start_ps, p.interval_ps, p.count, "transfers");
  return p;
}

bool StreamSource::next(DmaRequest& out) {
  if (issued_ >= p_.count) return false;
  const std::uint64_t per_region = p_.region / p_.size;
  const bool write = p_.op == StreamParams::Op::Write || (p_.op == StreamParams::Op::Both && (issued_ & 1));
  out = request(issued_, p_.start_ps + issued_ * p_.interval_ps, write, p_.base + (issued_ % per_region) * p_.size,
                p_.size);
  ++issued_;
  return true;
}

// ---- nic ----------------------------------------------------------------------

NicParams NicParams::from_config(ConfigNode n, unsigned address_width) {
  NicParams p;
  const std::string dir = n.choice("direction", "rx", {"rx", "tx", "both"});
  p.direction = dir == "rx" ? Direction::Rx : dir == "tx" ? Direction::Tx : Direction::Both;
  p.ring_entries = static_cast<unsigned>(n.u64("ring_entries", p.ring_entries, 1, 65536));
  p.desc_bytes = static_cast<unsigned>(n.pow2("desc_bytes", p.desc_bytes, 8, 64));
  p.ring_base = region_key(n, "ring_base", p.ring_base, std::uint64_t{p.ring_entries} * p.desc_bytes, address_width);
  p.buffer_bytes = n.u64("buffer_bytes", p.buffer_bytes, 64, 1 << 20);
  p.pool_buffers = static_cast<unsigned>(n.u64("pool_buffers", p.ring_entries, 1, 1 << 20));
  p.buffer_base =
      region_key(n, "buffer_base", p.buffer_base, p.buffer_bytes * p.pool_buffers, address_width);
  p.packet_size = SizeDistribution::from_config(n, "packet_size", 1500, 1 << 20);
  if (p.packet_size.max() > p.buffer_bytes)
    n.fail("packet_size", fmt::format("packets of up to {} bytes do not fit buffers of {} bytes (buffer_bytes)",
                                      p.packet_size.max(), p.buffer_bytes));
  p.packets = n.u64("packets", p.packets, 1);
  p.start_ps = ns_key(n, "start_ns");
  p.interval_ps = ns_key(n, "interval_ns");
  check_schedule(n, p.start_ps, p.interval_ps, p.packets, "packets");
  p.line_rate_gbps = n.real("line_rate_gbps", 0, 0, 1e6);
  if (p.line_rate_gbps > 0 && p.interval_ps)
    n.fail("line_rate_gbps", "give line_rate_gbps or interval_ns, not both");
  if (p.line_rate_gbps > 0) {
    // The last packet's arrival must stay inside the simulator's time range.
    const double last_ps = double(p.start_ps) + double(p.packets) * double(p.packet_size.max() + 20) * 8000.0 /
                                                    p.line_rate_gbps;
    if (p.line_rate_gbps < 0.001 || last_ps > 1e18)
      n.fail("line_rate_gbps", fmt::format("{} packets at {} Gb/s end beyond the simulator's time range (at least "
                                           "0.001 Gb/s)", p.packets, p.line_rate_gbps));
  }
  p.moderation_packets = static_cast<unsigned>(n.u64("moderation_packets", p.moderation_packets, 0, 1 << 20));
  p.msi = MsiTarget::from_config(n.child("msi"));
  p.per_packet = per_packet_mapping(n);
  return p;
}

NicSource::NicSource(const NicParams& p, std::uint64_t seed) : p_(p), rng_(seed) {
  if (!p_.per_packet) return;
  PacketBuffers b;
  b.statics = {{p_.ring_base, std::uint64_t{p_.ring_entries} * p_.desc_bytes}};
  b.pool_pa = p_.buffer_base;
  b.buffer_bytes = p_.buffer_bytes;
  b.pool_buffers = p_.pool_buffers;
  b.depth = p_.ring_entries;
  b.batch = p_.moderation_packets ? p_.moderation_packets : 1;
  b.count = p_.packets;
  b.dir = p_.direction == NicParams::Direction::Rx   ? BufferDir::FromDevice
          : p_.direction == NicParams::Direction::Tx ? BufferDir::ToDevice
                                                     : BufferDir::Alternate;
  buffers_ = b;
}

void NicSource::completed(const DmaRequest& r, Tick, Tick done, bool) {
  if (mapper_ && r.release >= 0) mapper_->release(static_cast<std::uint64_t>(r.release), done);
}

void NicSource::queue_packet() {
  const std::uint64_t i = packet_;
  Tick t = p_.start_ps + i * p_.interval_ps;
  if (p_.per_packet && !mapper_)
    throw std::logic_error("nic workload with per_packet mapping has no driver (host.driver)");
  // Per-packet mapping: the driver mapped this packet's buffer, and the ring.
  const Addr buf = mapper_ ? mapper_->acquire(i) : p_.buffer_base + (i % p_.pool_buffers) * p_.buffer_bytes;
  const Addr ring = mapper_ ? mapper_->static_iova(0) : p_.ring_base;
  const Addr desc = ring + (i % p_.ring_entries) * p_.desc_bytes;
  const std::uint64_t size = p_.packet_size.draw(rng_.next());
  if (p_.line_rate_gbps > 0) {
    // Wire time of (size + 20) bytes at the line rate; times in ps. The
    // arrival time is kept in fractional ps so that rounding does not
    // accumulate; each arrival is rounded to the nearest ps, halves away from
    // zero (the rule of ticks_from_ns).
    if (next_arrival_ps_ < 0) next_arrival_ps_ = double(p_.start_ps);
    t = static_cast<Tick>(std::llround(next_arrival_ps_));
    next_arrival_ps_ += double(size + 20) * 8.0 * 1000.0 / p_.line_rate_gbps;
  }
  const bool rx = p_.direction == NicParams::Direction::Rx || (p_.direction == NicParams::Direction::Both && !(i & 1));
  std::vector<DmaRequest> v;
  v.push_back(request(0, t, false, desc, p_.desc_bytes));  // fetch the descriptor the driver posted
  v.push_back(request(0, t, rx, buf, size));               // rx: write the packet; tx: read it
  v.push_back(request(0, t, true, desc, p_.desc_bytes));   // write back status (DD)
  if (mapper_) v.back().release = static_cast<std::int64_t>(i);  // the buffer is the driver's again
  if (p_.moderation_packets && (i + 1) % p_.moderation_packets == 0) v.push_back(msi_request(0, t, p_.msi));
  std::reverse(v.begin(), v.end());
  pending_ = std::move(v);
  ++packet_;
}

bool NicSource::next(DmaRequest& out) {
  if (pending_.empty()) {
    if (packet_ >= p_.packets) return false;
    queue_packet();
  }
  out = pending_.back();
  pending_.pop_back();
  out.seq = seq_++;
  return true;
}

// ---- nvme ---------------------------------------------------------------------

NvmeParams NvmeParams::from_config(ConfigNode n, unsigned address_width) {
  NvmeParams p;
  p.queue_depth = static_cast<unsigned>(n.u64("queue_depth", p.queue_depth, 1, 65536));
  p.io_size = SizeDistribution::from_config(n, "io_size", 4096, 2 << 20);
  const std::uint64_t slot_bytes = (p.io_size.max() + 4095) & ~std::uint64_t{4095};
  p.sq_base = region_key(n, "sq_base", p.sq_base, std::uint64_t{p.queue_depth} * 64, address_width);
  p.cq_base = region_key(n, "cq_base", p.cq_base, std::uint64_t{p.queue_depth} * 16, address_width);
  p.prp_base = region_key(n, "prp_base", p.prp_base, std::uint64_t{p.queue_depth} * 4096, address_width);
  p.data_base = region_key(n, "data_base", p.data_base, slot_bytes * p.queue_depth, address_width);
  p.read_fraction = n.real("read_fraction", p.read_fraction, 0, 1);
  p.commands = n.u64("commands", p.commands, 1);
  p.start_ps = ns_key(n, "start_ns");
  p.interval_ps = ns_key(n, "interval_ns");
  check_schedule(n, p.start_ps, p.interval_ps, p.commands, "commands");
  p.completions_per_msi = static_cast<unsigned>(n.u64("completions_per_msi", p.completions_per_msi, 0, 65536));
  p.msi = MsiTarget::from_config(n.child("msi"));
  p.per_packet = per_packet_mapping(n);
  return p;
}

NvmeSource::NvmeSource(const NvmeParams& p, std::uint64_t seed) : p_(p), rng_(seed) {
  if (!p_.per_packet) return;
  const std::uint64_t slot_bytes = (p_.io_size.max() + 4095) & ~std::uint64_t{4095};
  PacketBuffers b;
  b.statics = {{p_.sq_base, std::uint64_t{p_.queue_depth} * 64},
               {p_.cq_base, std::uint64_t{p_.queue_depth} * 16},
               {p_.prp_base, std::uint64_t{p_.queue_depth} * 4096}};
  b.pool_pa = p_.data_base;
  b.buffer_bytes = slot_bytes;
  b.pool_buffers = p_.queue_depth;
  b.depth = p_.queue_depth;
  b.batch = p_.completions_per_msi ? p_.completions_per_msi : 1;
  b.count = p_.commands;
  b.dir = BufferDir::Bidirectional;
  buffers_ = b;
}

void NvmeSource::completed(const DmaRequest& r, Tick, Tick done, bool) {
  if (mapper_ && r.release >= 0) mapper_->release(static_cast<std::uint64_t>(r.release), done);
}

void NvmeSource::queue_command() {
  const std::uint64_t i = command_;
  const Tick t = p_.start_ps + i * p_.interval_ps;
  const std::uint64_t slot = i % p_.queue_depth;
  const std::uint64_t size = p_.io_size.draw(rng_.next());
  // A read command moves data from the device to host memory (a DMA write).
  const bool read_cmd = double(rng_.next() >> 11) * 0x1.0p-53 < p_.read_fraction;
  const std::uint64_t slot_bytes = (p_.io_size.max() + 4095) & ~std::uint64_t{4095};
  const std::uint64_t pages = (size + 4095) / 4096;
  if (p_.per_packet && !mapper_)
    throw std::logic_error("nvme workload with per_packet mapping has no driver (host.driver)");
  // Per-command mapping: the driver mapped this command's data buffer, and
  // the queues (statics 0: SQ, 1: CQ, 2: PRP lists).
  const Addr data = mapper_ ? mapper_->acquire(i) : p_.data_base + slot * slot_bytes;
  const Addr sq = mapper_ ? mapper_->static_iova(0) : p_.sq_base;
  const Addr cq = mapper_ ? mapper_->static_iova(1) : p_.cq_base;
  const Addr prp = mapper_ ? mapper_->static_iova(2) : p_.prp_base;
  std::vector<DmaRequest> v;
  v.push_back(request(0, t, false, sq + slot * 64, 64));  // the submission-queue entry
  // PRP1 and PRP2 in the entry cover two pages; more need a PRP list.
  if (pages > 2) v.push_back(request(0, t, false, prp + slot * 4096, (pages - 1) * 8));
  v.push_back(request(0, t, read_cmd, data, size));
  v.push_back(request(0, t, true, cq + slot * 16, 16));  // the completion-queue entry
  if (mapper_) v.back().release = static_cast<std::int64_t>(i);
  if (p_.completions_per_msi && (i + 1) % p_.completions_per_msi == 0) v.push_back(msi_request(0, t, p_.msi));
  std::reverse(v.begin(), v.end());
  pending_ = std::move(v);
  ++command_;
}

bool NvmeSource::next(DmaRequest& out) {
  if (pending_.empty()) {
    if (command_ >= p_.commands) return false;
    queue_command();
  }
  out = pending_.back();
  pending_.pop_back();
  out.seq = seq_++;
  return true;
}

// ---- factory and recording ------------------------------------------------------

std::unique_ptr<DmaSource> make_workload(ConfigNode n, unsigned address_width, std::uint64_t seed) {
  const std::string kind = n.choice("kind", "window", {"window", "stream", "nic", "nvme", "pcie_bench"});
  if (kind == "pcie_bench")
    return std::make_unique<PcieBenchSource>(PcieBenchParams::from_config(n, address_width), seed);
  if (kind == "stream") return std::make_unique<StreamSource>(StreamParams::from_config(n, address_width));
  if (kind == "nic") return std::make_unique<NicSource>(NicParams::from_config(n, address_width), seed);
  if (kind == "nvme") return std::make_unique<NvmeSource>(NvmeParams::from_config(n, address_width), seed);
  return std::make_unique<GeneratorSource>(GeneratorParams::from_config(n, address_width), seed);
}

bool RecordingSource::next(DmaRequest& out) {
  if (!inner_->next(out)) return false;
  TraceRecord r;
  r.time = out.time;
  r.source = device_;
  r.op = out.msi ? TraceOp::Msi : out.write ? TraceOp::DmaW : TraceOp::DmaR;
  r.addr = out.addr;
  r.size = out.size;
  r.data = out.data;
  r.has_pasid = out.has_pasid;
  r.pasid = out.pasid;
  r.priv = out.priv;
  r.exec = out.exec;
  r.translated = out.translated;
  sink_->push_back(r);
  return true;
}

}  // namespace iommusim
