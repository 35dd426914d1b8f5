// The host last-level cache (LLC) as a timing model: the SystemC shell around
// LlcCache (mem/llc_cache.h, the lines and the replacement), between the
// memory side's requesters and the memory controller
// (docs/models/memory.md, "Host last-level cache").
//
//   io   DMA from the root complex (to_dram) and the remapping units' `mem`
//        reads and writes (tables, queues, IRTEs): I/O semantics, DDIO
//   cpu  the host's `mem` socket (the driver's page tables, descriptors):
//        write-back, write-allocate
//   to_memory  the memory controller
//
// Timing, per request arriving at `arrival` (SystemC time plus the annotated
// delay), its lines taken in address order:
//   * a line served by the cache (a read hit, a write absorbed) has its data
//     at arrival + hit_latency;
//   * the lines that must come from memory (read misses, the fill of a CPU
//     write miss), each maximal run of consecutive such lines one request,
//     reach the memory controller at arrival + miss_latency (timed there);
//   * an I/O write with ddio_ways = 0 goes to the controller whole at
//     arrival + miss_latency;
//   * then every dirty victim is written back: a timed write of its line to
//     the controller at arrival + miss_latency (banks and bus occupied), which
//     does not delay the request;
//   * the request is done when its last part is.
// Bytes stay in the controller's store: the shell moves a request's bytes
// with the controller's debug transport first (an untimed exception,
// docs/architecture.md), and the timed requests above carry copies of the
// same bytes. A request the controller refuses (outside memory, byte enables)
// is passed to it unchanged for its error response and touches no line.
// DMI and debug transport are forwarded unchanged: untimed host accesses do
// not see or change the cache's state.
#pragma once
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include "common/config.h"
#include "common/payload_pool.h"
#include "common/stats_group.h"
#include "mem/cache_state.h"
#include "mem/llc_cache.h"

namespace iommusim {

struct LlcParams {
  LlcGeometry geometry;
  Tick hit_latency_ps = 20'000;   // request arrival at the LLC to data, on a hit
  Tick miss_latency_ps = 10'000;  // lookup and home-agent path before the memory controller, on a miss

  // platform.llc (docs/configuration.md); InputError naming the key.
  static LlcParams from_config(ConfigNode n);
};

class HostCache : public sc_core::sc_module {
 public:
  using Target = tlm_utils::multi_passthrough_target_socket<HostCache, 32, tlm::tlm_base_protocol_types, 0,
                                                            sc_core::SC_ZERO_OR_MORE_BOUND>;
  Target io;
  Target cpu;
  tlm_utils::simple_initiator_socket<HostCache> to_memory;

  // [mem_base, mem_base + mem_size): the controller's memory (the lines
  // DeviceThrash may use, the bound of writebacks).
  HostCache(sc_core::sc_module_name name, const LlcParams& p, Addr mem_base, std::uint64_t mem_size,
            StatsRegistry& stats);

  // Before the run, untimed: sets up a benchmark's cache state (LlcCache::prepare).
  void prepare(const CachePreparation& p) { cache_.prepare(p, mem_base_, mem_size_); }

  const LlcCache& cache() const { return cache_; }
  const LlcParams& params() const { return p_; }

 private:
  enum class Kind { Io, Cpu };
  void b_transport_io(int, tlm::tlm_generic_payload& t, sc_core::sc_time& d) { access(Kind::Io, t, d); }
  void b_transport_cpu(int, tlm::tlm_generic_payload& t, sc_core::sc_time& d) { access(Kind::Cpu, t, d); }
  void access(Kind kind, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  unsigned int transport_dbg(int, tlm::tlm_generic_payload& trans);
  // A timed request to the controller arriving at `at`; returns its completion.
  Tick to_controller(bool write, Addr a, std::uint64_t len, unsigned char* data, Tick at);

  LlcParams p_;
  Addr mem_base_;
  std::uint64_t mem_size_;
  LlcCache cache_;
  std::vector<unsigned char> scratch_;
  PayloadPool payloads_;  // its requests to the memory controller (no allocation per request)

  StatsGroup stats_group_;
  Counter& io_read_hits_;
  Counter& io_read_misses_;
  Counter& io_write_hits_;
  Counter& io_write_misses_;
  Counter& cpu_read_hits_;
  Counter& cpu_read_misses_;
  Counter& cpu_write_hits_;
  Counter& cpu_write_misses_;
  Counter& ddio_allocations_;
  Counter& evictions_;
  Counter& writebacks_;
  Histogram& latency_;
};

}  // namespace iommusim
