#include "host/interrupt_controller.h"

#include <fmt/format.h>

#include "common/pcie_attr.h"
#include "common/sc_time_conv.h"
#include "common/stats_group.h"

namespace iommusim {

InterruptController::InterruptController(sc_core::sc_module_name name, StatsRegistry& stats)
    : sc_module(name),
      irq_in("irq_in"),
      stats_(stats),
      stats_group_(stats, this->name()),
      interrupts_(stats_group_.counter("interrupts", "Interrupt messages delivered")),
      rejected_(stats_group_.counter("rejected",
                              "Writes that are not interrupt messages (not 0xFEExxxxx, or not 4 bytes)")) {
  irq_in.register_b_transport(this, &InterruptController::b_transport);
}

void InterruptController::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const Addr a = trans.get_address();
  if (!trans.is_write() || trans.get_data_length() != 4 || !is_msi_address(a)) {
    ++rejected_;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const unsigned char* d = trans.get_data_ptr();
  const std::uint32_t data = d[0] | (d[1] << 8) | (d[2] << 16) | (std::uint32_t(d[3]) << 24);
  const MsiFields f = decode_msi(a, data);
  ++interrupts_;
  auto it = vectors_.find(f.vector);
  if (it == vectors_.end()) {
    const StatsGroup g = stats_group_.group(fmt::format("vector_{:02x}", f.vector));
    VectorStats v{&g.counter("count", fmt::format("Interrupts with vector {:#x}", f.vector))};
    it = vectors_.emplace(f.vector, v).first;
    g.formula("last_arrival", "When this vector last arrived (1 Tick = 1 ps)", "Tick",
              [this, vec = f.vector] { return double(vectors_.at(vec).last); });
  }
  ++*it->second.count;
  it->second.last = now_tick() + to_tick(delay);
  if (PcieAttr* attr = trans.get_extension<PcieAttr>()) {
    attr->interrupt_delivered = true;
    attr->vector = f.vector;
    attr->dest = f.dest;
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace iommusim
