// The host's interrupt controller (the local APICs as one block): the target of
// every interrupt message, i.e. a 4-byte write to 0xFEE00000-0xFEEFFFFF in the
// Intel MSI format (Intel SDM vol. 3, 11.11; VT-d 5.1.2.1 compatibility
// format): address bits 19:12 destination APIC ID, bit 3 redirection hint,
// bit 2 destination mode; data bits 7:0 vector, 10:8 delivery mode, 15 trigger
// mode. Messages come from the remapping unit (device MSIs after remapping, and
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

#include "common/stats.h"
#include "common/types.h"

namespace iommusim {

struct MsiFields {
  std::uint32_t dest = 0;    // APIC ID
  std::uint8_t vector = 0;
  std::uint8_t delivery_mode = 0;
  bool logical = false;      // destination mode
  bool level = false;        // trigger mode
};

// Decodes an interrupt message in the compatibility (non-remappable) format.
MsiFields decode_msi(Addr addr, std::uint32_t data);

class InterruptController : public sc_core::sc_module {
 public:
  static constexpr Addr kBase = 0xFEE00000, kLimit = 0xFEEFFFFF;

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
  Counter& interrupts_;
  Counter& rejected_;
  std::map<std::uint8_t, VectorStats> vectors_;
};

}  // namespace iommusim
