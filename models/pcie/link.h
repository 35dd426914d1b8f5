// PCIe link, first version: per-direction serialization at a fixed byte rate
// plus a fixed one-way latency; every TLP carries a configured overhead (header,
// sequence number, LCRC, framing). The TLP-level model with generations, widths,
// encodings, DLLPs and read-completion boundaries replaces this later.
//
// Upstream, a memory read request TLP occupies the link for its header only; a
// posted write for header + payload. The completion of a read (header +
// data) then occupies the downstream direction. A request that arrives while a
// direction is busy waits for it (ResourceTimeline).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/config.h"
#include "common/resource_timeline.h"
#include "common/stats.h"

namespace iommusim {

struct LinkParams {
  double bytes_per_ns = 7.877;          // PCIe Gen3 x8: 8 GT/s * 8 lanes * 128/130 / 8 bits
  Tick latency_ps = 50'000;             // one-way PHY + wire latency
  unsigned tlp_overhead_bytes = 24;     // 4DW header 16 + seq 2 + LCRC 4 + framing 2

  static LinkParams from_config(ConfigNode n);
  // Time to serialize `bytes` on one direction, rounded up to whole ps.
  Tick serialize_ps(std::uint64_t bytes) const;
};

class Link : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Link> from_device;   // upstream requests enter here
  tlm_utils::simple_initiator_socket<Link> to_host;    // and leave towards the root complex

  Link(sc_core::sc_module_name name, const LinkParams& p, StatsRegistry& stats);

 private:
  // One direction of the link: its serialization timeline and statistics.
  struct Direction {
    Direction(const std::string& prefix, const char* dir, StatsRegistry& stats);
    // Sends a TLP of `bytes` (overhead included) no earlier than `earliest`;
    // returns when its last byte arrives at the other end.
    Tick send(Tick earliest, std::uint64_t bytes, const LinkParams& p);

    ResourceTimeline line;
    Counter& tlps;
    Counter& bytes;
    Counter& busy;
  };

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  LinkParams p_;
  Direction up_;
  Direction down_;
};

}  // namespace iommusim
