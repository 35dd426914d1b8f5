// The host's interrupt controller (the local APICs as one block): the target of
// every interrupt message, i.e. a 4-byte write to 0xFEE00000-0xFEEFFFFF in the
// Intel MSI format (common/msi_message.h). Messages come from the remapping unit (device MSIs after remapping, and
// its own fault and invalidation events).
//
// It counts interrupts per vector, remembers when each vector last arrived, and
// tells the sender what was delivered (PcieAttr's interrupt fields), so that
// the transaction log can show vector and destination.
#pragma once
#include <map>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "common/msi_message.h"
#include "common/stats_group.h"
#include "common/types.h"

namespace iommusim {


class InterruptController : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<InterruptController, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      irq_in;

  InterruptController(sc_core::sc_module_name name, StatsRegistry& stats);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  struct VectorStats {
    Counter* count;
    Tick last = 0;
  };
  StatsRegistry& stats_;
  StatsGroup stats_group_;  // the statistics below, under the instance name
  Counter& interrupts_;
  Counter& rejected_;
  std::map<std::uint8_t, VectorStats> vectors_;
};

}  // namespace iommusim
