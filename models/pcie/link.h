// PCIe link: a thin SystemC shell over the TLP-level timing of link_timing.h.
//
// Each direction (upstream: the device's requests and write data, and the
// completions of host reads; downstream: read completions, and the host's
// requests: MMIO to the BARs and ATS invalidate requests, see
// b_transport_down) is a ResourceTimeline on which TLPs, DLLPs and SKP ordered sets
// are serialized; a request that arrives while a direction is busy waits for
// it. Per request:
//   * the request TLP (a memory read request, or a posted write with its data)
//     is serialized upstream and reaches the root complex `latency` later;
//   * a posted write returns when the root complex reports it performed;
//   * a read's completions (split at the read completion boundary, see
//     LinkTiming::completion_split) are serialized downstream from the time
//     the data came back, one after the other; the read is done when the last
//     completion has arrived, `latency` after its serialization. A failed read
//     gets one completion without data.
//   * the ACK/UpdateFC DLLPs and SKP ordered sets the TLPs owe (DllpMeter)
//     are serialized right after the TLP that made them due, on the same
//     direction; with `dllp_direction: opposite` the DLLPs are owed to the
//     other direction instead and go out there just before its next TLP, in
//     the same reservation (a DLLP booked on its own at a later time would
//     split an idle gap into pieces too short for a TLP). A direction that
//     never sends another TLP sends them in idle time: counted in the
//     statistics, delaying nothing.
//
// MPS and MRRS are the endpoint's (`mps`, `mrrs` of the endpoint: its Device
// Control register, the one place they are configured): the endpoint splits
// requests with them and passes MPS to its link, which needs it for
// completions and for the default DLLP intervals.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/config.h"
#include "common/resource_timeline.h"
#include "common/stats_group.h"
#include "pcie/link_timing.h"

namespace iommusim {

struct LinkParams {
  LinkConfig timing;

  // Reads the `link` map of an endpoint; `mps` is the endpoint's.
  static LinkParams from_config(ConfigNode n, unsigned mps);
};

class Link : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Link> from_device;   // upstream requests enter here
  tlm_utils::simple_initiator_socket<Link> to_host;    // and leave towards the root complex
  // Downstream requests (host MMIO to the device's BARs, ATS invalidate
  // requests) enter here and leave towards the device. Either may stay
  // unbound on a link whose device takes no downstream requests.
  tlm_utils::multi_passthrough_target_socket<Link, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      from_host;
  tlm_utils::multi_passthrough_initiator_socket<Link, 32, tlm::tlm_base_protocol_types, 0,
                                                sc_core::SC_ZERO_OR_MORE_BOUND>
      to_device;

  Link(sc_core::sc_module_name name, const LinkParams& p, StatsRegistry& stats);

  const LinkTiming& timing() const { return t_; }

 private:
  // One direction of the link: its serialization timeline, DLLP meter and
  // statistics.
  struct Direction {
    Direction(const StatsGroup& g, const char* dir, const LinkConfig& c);
    // Counts `count` DLLPs or SKPs of `each_bytes` in the statistics and
    // returns their serialization time.
    Tick count_overhead(unsigned count, unsigned each_bytes, Counter& counter, const LinkTiming& t);

    ResourceTimeline line;
    DllpMeter meter;
    Tick owed_ps = 0;  // DLLPs owed by the other direction, not yet sent
    Counter& tlps;
    Counter& dllps;
    Counter& skps;
    Counter& bytes;
    Counter& payload;
    Counter& busy;
  };

  // Sends a TLP of `wire` bytes carrying `payload` data bytes on `d` no earlier
  // than `earliest`, with the DLLPs and SKPs it makes due; returns when its
  // last byte arrives at the other end.
  Tick send(Direction& d, Direction& other, Tick earliest, std::uint64_t wire, std::uint32_t payload);
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Downstream: a write (posted MMIO write, or an ATS invalidate request: a
  // message with 8 data bytes) occupies the down direction; a read request
  // goes down and its completion up; an answered invalidate request gets an
  // Invalidate Completion message (4 DW header, no data) up.
  void b_transport_down(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  LinkTiming t_;
  Direction up_;
  Direction down_;
};

}  // namespace iommusim
