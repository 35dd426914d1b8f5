#include "mem/llc.h"

#include <algorithm>

#include "common/error.h"
#include "common/sc_time_conv.h"
#include "mem/memory_outcome.h"

namespace iommusim {

LlcParams LlcParams::from_config(ConfigNode n) {
  LlcParams p;
  LlcGeometry& g = p.geometry;
  g.size_bytes = n.u64("size", 20ull << 20, 1024, 256ull << 20);
  g.ways = static_cast<unsigned>(n.u64("ways", 20, 1, 64));
  g.line_bytes = n.pow2("line_bytes", 64, 16, 4096);
  g.ddio_ways = static_cast<unsigned>(n.u64("ddio_ways", 2, 0, 64));
  g.index = n.choice("index", "modulo", {"modulo", "xor_fold"}) == "modulo" ? LlcGeometry::Index::Modulo
                                                                            : LlcGeometry::Index::XorFold;
  p.hit_latency_ps = n.time_ns("hit_latency_ns", 20, 0, 10000);
  p.miss_latency_ps = n.time_ns("miss_latency_ns", 10, 0, 10000);
  try {
    LlcCache::validate(g);
  } catch (const InputError& e) {
    n.fail("", e.what());
  }
  return p;
}

HostCache::HostCache(sc_core::sc_module_name name, const LlcParams& p, Addr mem_base, std::uint64_t mem_size,
                     StatsRegistry& stats)
    : sc_module(name),
      io("io"),
      cpu("cpu"),
      to_memory("to_memory"),
      p_(p),
      mem_base_(mem_base),
      mem_size_(mem_size),
      cache_(p.geometry),
      stats_group_(stats, this->name()),
      io_read_hits_(stats_group_.counter("io_read_hits", "I/O read lines found in the LLC")),
      io_read_misses_(stats_group_.counter("io_read_misses", "I/O read lines read from memory (not allocated)")),
      io_write_hits_(stats_group_.counter("io_write_hits", "I/O write lines found in the LLC")),
      io_write_misses_(stats_group_.counter("io_write_misses", "I/O write lines not in the LLC")),
      cpu_read_hits_(stats_group_.counter("cpu_read_hits", "CPU read lines found in the LLC")),
      cpu_read_misses_(stats_group_.counter("cpu_read_misses", "CPU read lines filled from memory")),
      cpu_write_hits_(stats_group_.counter("cpu_write_hits", "CPU write lines found in the LLC")),
      cpu_write_misses_(stats_group_.counter("cpu_write_misses", "CPU write lines filled from memory")),
      ddio_allocations_(stats_group_.counter("ddio_allocations", "Lines I/O writes allocated into the DDIO ways")),
      evictions_(stats_group_.counter("evictions", "Valid lines replaced by an allocation")),
      writebacks_(stats_group_.counter("writebacks", "Dirty lines written back to memory")),
      latency_(stats_group_.histogram("latency", "Request latency from arrival at the LLC to its end (1 Tick = 1 ps)",
                                      "Tick")) {
  stats_group_.formula("hit_rate", "Line accesses found in the LLC, of all line accesses", "Ratio", [this] {
    const double hits = double(io_read_hits_.value() + io_write_hits_.value() + cpu_read_hits_.value() +
                               cpu_write_hits_.value());
    const double all = hits + double(io_read_misses_.value() + io_write_misses_.value() +
                                     cpu_read_misses_.value() + cpu_write_misses_.value());
    return all == 0 ? 0.0 : hits / all;
  });
  stats_group_.formula("io_read_hit_rate", "I/O read lines found in the LLC, of all I/O read lines", "Ratio", [this] {
    const double all = double(io_read_hits_.value() + io_read_misses_.value());
    return all == 0 ? 0.0 : double(io_read_hits_.value()) / all;
  });
  io.register_b_transport(this, &HostCache::b_transport_io);
  cpu.register_b_transport(this, &HostCache::b_transport_cpu);
  for (auto* s : {&io, &cpu}) {
    s->register_get_direct_mem_ptr(this, &HostCache::get_direct_mem_ptr);
    s->register_transport_dbg(this, &HostCache::transport_dbg);
  }
  scratch_.resize(p.geometry.line_bytes);
}

Tick HostCache::to_controller(bool write, Addr a, std::uint64_t len, unsigned char* data, Tick at) {
  const PayloadPool::Handle payload = payloads_.acquire();
  tlm::tlm_generic_payload& t = *payload;
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(a);
  t.set_data_ptr(data);
  t.set_data_length(static_cast<unsigned>(len));
  t.set_streaming_width(static_cast<unsigned>(len));
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time d = to_sc_time(at - now_tick());
  to_memory->b_transport(t, d);
  return now_tick() + to_tick(d);
}

void HostCache::access(Kind kind, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    to_memory->b_transport(trans, delay);
    return;
  }
  const unsigned len = trans.get_data_length();
  // The bytes move untimed; a request the controller refuses goes to it for
  // its error response (and its error count), touching no line.
  if (len == 0 || to_memory->transport_dbg(trans) != len) {
    to_memory->b_transport(trans, delay);
    return;
  }
  const bool write = trans.is_write();
  const Tick arrival = now_tick() + to_tick(delay);
  const Tick mem_at = arrival + p_.miss_latency_ps;
  const Addr a = trans.get_address();
  const Addr end = a + len;
  unsigned char* data = trans.get_data_ptr();
  const std::uint64_t lb = p_.geometry.line_bytes;

  bool any_in_cache = false;
  bool to_memory_whole = false;  // an I/O write the cache does not take (ddio_ways = 0)
  std::vector<std::pair<Addr, Addr>> runs;  // byte ranges to read from memory
  std::vector<Addr> victims;
  for (Addr line = cache_.line_of(a); line < end; line += lb) {
    const LlcCache::LineResult r = kind == Kind::Io ? (write ? cache_.io_write(line) : cache_.io_read(line))
                                                    : (write ? cache_.cpu_write(line) : cache_.cpu_read(line));
    Counter& hits = kind == Kind::Io ? (write ? io_write_hits_ : io_read_hits_)
                                     : (write ? cpu_write_hits_ : cpu_read_hits_);
    Counter& misses = kind == Kind::Io ? (write ? io_write_misses_ : io_read_misses_)
                                       : (write ? cpu_write_misses_ : cpu_read_misses_);
    ++(r.hit ? hits : misses);
    if (r.allocated && kind == Kind::Io) ++ddio_allocations_;
    if (r.evicted) ++evictions_;
    if (r.writeback) victims.push_back(*r.writeback);
    if (kind == Kind::Io && write && !r.in_cache) to_memory_whole = true;
    if (r.in_cache) any_in_cache = true;
    // Lines that come from memory: read misses and CPU write-allocate fills.
    const bool fetch = !r.hit && (!write || kind == Kind::Cpu);
    if (fetch) {
      const Addr lo = std::max(a, line), hi = std::min(end, line + lb);
      if (!runs.empty() && runs.back().second == lo)
        runs.back().second = hi;
      else
        runs.emplace_back(lo, hi);
    }
  }

  Tick done = any_in_cache ? arrival + p_.hit_latency_ps : arrival;
  for (const auto& [lo, hi] : runs) {
    if (write) {  // a fill reads the line; the request's own bytes are in the store already
      std::vector<unsigned char> buf(hi - lo);
      done = std::max(done, to_controller(false, lo, hi - lo, buf.data(), mem_at));
    } else {
      done = std::max(done, to_controller(false, lo, hi - lo, data + (lo - a), mem_at));
    }
  }
  if (to_memory_whole) done = std::max(done, to_controller(true, a, len, data, mem_at));
  for (const Addr v : victims) {
    // The part of the line inside memory.
    const Addr lo = std::max(v, mem_base_);
    const Addr hi = std::min<Addr>(v + lb, mem_base_ + mem_size_);
    if (hi <= lo) continue;
    const PayloadPool::Handle payload = payloads_.acquire();
    tlm::tlm_generic_payload& rd = *payload;
    rd.set_command(tlm::TLM_READ_COMMAND);
    rd.set_address(lo);
    rd.set_data_ptr(scratch_.data());
    rd.set_data_length(static_cast<unsigned>(hi - lo));
    rd.set_streaming_width(static_cast<unsigned>(hi - lo));
    to_memory->transport_dbg(rd);
    to_controller(true, lo, hi - lo, scratch_.data(), mem_at);
    ++writebacks_;
  }

  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  if (MemoryOutcome* out = trans.get_extension<MemoryOutcome>()) {
    out->reached = true;
    out->addr = a;
    out->accepted = arrival;
  }
  latency_.sample(done - arrival);
  delay = to_sc_time(done - now_tick());
}

bool HostCache::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  return to_memory->get_direct_mem_ptr(trans, dmi);
}

unsigned int HostCache::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  return to_memory->transport_dbg(trans);
}

}  // namespace iommusim
