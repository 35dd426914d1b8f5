// The ports a remapping unit's parts use, as the base socket type, so that a
// part (translation engine, invalidation queue, interrupt remapper, fault
// recorder) is a plain class that does not depend on the shell's type:
//   UnitPort     an initiator socket of the unit (mem, irq_out, ats_out)
//   UnitReader   timed table reads through the unit's memory port
// and the one way the unit sends an interrupt message (fault events,
// invalidation events, remapped and posted interrupts).
#pragma once
#include <systemc>
#include <tlm>

#include "common/pcie_attr.h"
#include "common/sc_time_conv.h"
#include "iommu/timed_table_reader.h"
#include "vtd/register_fields.h"  // MsiMessage

namespace iommusim {

using UnitPort = tlm::tlm_initiator_socket<>;
using UnitReader = TimedTableReader<UnitPort>;

// Writes the message's 4 data bytes to its address through `irq` after
// `delay`; `attr` (optional) receives what the interrupt controller
// delivered. Returns when the message was delivered (absolute time).
inline Tick send_msi(UnitPort& irq, const MsiMessage& m, const sc_core::sc_time& delay, PcieAttr* attr = nullptr) {
  unsigned char data[4];
  for (int i = 0; i < 4; ++i) data[i] = static_cast<unsigned char>(m.data >> (8 * i));
  tlm::tlm_generic_payload t;
  t.set_command(tlm::TLM_WRITE_COMMAND);
  t.set_address(m.address);
  t.set_data_ptr(data);
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  if (attr) t.set_extension(attr);
  sc_core::sc_time d = delay;
  irq->b_transport(t, d);
  if (attr) t.clear_extension(attr);
  return now_tick() + to_tick(d);
}

// The offset from now of absolute time t (zero if t has passed).
inline sc_core::sc_time from_now(Tick t) {
  const Tick now = now_tick();
  return to_sc_time(t > now ? t - now : 0);
}

}  // namespace iommusim
