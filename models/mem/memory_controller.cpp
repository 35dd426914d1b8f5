#include "mem/memory_controller.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/sc_time_conv.h"
#include "common/stats_group.h"
#include "mem/memory_outcome.h"

namespace iommusim {

MemoryParams MemoryParams::from_config(ConfigNode n) {
  MemoryParams p;
  p.address_width = static_cast<unsigned>(n.u64("address_width", 52, 32, 64));
  const std::uint64_t space = p.address_width == 64 ? UINT64_MAX : (1ull << p.address_width);
  p.base = n.u64("base", 0, 0, space - 1);
  p.size = n.u64("size", space - p.base, 1, space - p.base);
  ConfigNode d = n.child("dram");
  DramParams& t = p.dram;
  t.tck_ps = d.u64("tck_ps", 625, 1, 1'000'000);
  t.tCL = static_cast<unsigned>(d.u64("tCL", 22, 1, 1000));
  t.tRCD = static_cast<unsigned>(d.u64("tRCD", 22, 1, 1000));
  t.tRP = static_cast<unsigned>(d.u64("tRP", 22, 1, 1000));
  t.tRAS = static_cast<unsigned>(d.u64("tRAS", 52, 1, 1000));
  t.tCWL = static_cast<unsigned>(d.u64("tCWL", 16, 1, 1000));
  t.tWR = static_cast<unsigned>(d.u64("tWR", 24, 0, 1000));
  t.tBURST = static_cast<unsigned>(d.u64("tBURST", 4, 1, 1000));
  t.frontend_cycles = static_cast<unsigned>(d.u64("frontend_cycles", 0, 0, 100000));
  // Refresh: JEDEC DDR4 (JESD79-4) 8 Gb parts: tREFI 7.8 us, tRFC 350 ns.
  t.tREFI_ps = d.time_ns("tREFI_ns", 0, 0, 1e6);
  t.tRFC_ps = d.time_ns("tRFC_ns", 0, 0, 1e5);
  const std::string policy = d.choice("page_policy", "open", {"open", "closed", "adaptive"});
  t.page_policy = policy == "open"     ? DramParams::PagePolicy::Open
                  : policy == "closed" ? DramParams::PagePolicy::Closed
                                       : DramParams::PagePolicy::Adaptive;
  // Adaptive page closing: Intel's memory controllers close a row after an
  // idle time (a BIOS setting; tens of DRAM cycles).
  t.page_idle_ps = d.time_ns("page_idle_ns", policy == "adaptive" ? 20 : 0, 0, 1e6);
  if (policy != "adaptive" && t.page_idle_ps != 0)
    d.fail("page_idle_ns", "only the adaptive page_policy closes idle rows; set page_policy: adaptive");
  DramGeometry& g = t.geometry;
  g.channels = static_cast<unsigned>(d.pow2("channels", 2, 1, 64));
  g.ranks = static_cast<unsigned>(d.pow2("ranks", 1, 1, 16));
  g.banks = static_cast<unsigned>(d.pow2("banks", 16, 1, 256));
  g.burst_bytes = d.pow2("burst_bytes", 64, 8, 4096);
  g.row_bytes = d.pow2("row_bytes", 8192, 64, 1u << 20);
  g.mapping = d.str("mapping", "RoRaBaCoCh");
  try {
    DramTiming::validate(t);
  } catch (const InputError& e) {
    d.fail("", e.what());
  }
  return p;
}

MemoryController::MemoryController(sc_core::sc_module_name name, const MemoryParams& p, StatsRegistry& stats)
    : sc_module(name),
      tsock("tsock"),
      p_(p),
      store_(p.address_width),
      dram_(p.dram),
      stats_group_(stats, this->name()),
      reads_(stats_group_.counter("reads", "Read requests served")),
      writes_(stats_group_.counter("writes", "Write requests served")),
      bytes_read_(stats_group_.counter("bytes_read", "Bytes read", "Byte")),
      bytes_written_(stats_group_.counter("bytes_written", "Bytes written", "Byte")),
      row_hits_(stats_group_.counter("row_hits", "Bursts that hit an open row")),
      row_misses_(stats_group_.counter("row_misses", "Bursts to a closed bank (ACT)")),
      row_conflicts_(
          stats_group_.counter("row_conflicts", "Bursts to a bank with another row open (PRE+ACT)")),
      errors_(stats_group_.counter("errors", "Requests outside memory or malformed")),
      latency_(stats_group_.histogram("latency",
                               "Request latency from arrival to last data (1 Tick = 1 ps)", "Tick")) {
  stats_group_.formula("row_hit_rate", "Row-buffer hits per burst", "Ratio", [this] {
    double total = double(row_hits_.value() + row_misses_.value() + row_conflicts_.value());
    return total == 0 ? 0.0 : double(row_hits_.value()) / total;
  });
  if (p_.dram.tREFI_ps) {
    refresh_waits_ = &stats_group_.counter("refresh_waits", "Bursts that arrived during a refresh of their rank");
    refresh_closes_ = &stats_group_.counter("refresh_closes", "Open rows closed by a refresh");
  }
  tsock.register_b_transport(this, &MemoryController::b_transport);
  tsock.register_get_direct_mem_ptr(this, &MemoryController::get_direct_mem_ptr);
  tsock.register_transport_dbg(this, &MemoryController::transport_dbg);
}

bool MemoryController::contains(Addr a, std::uint64_t len) const {
  return len > 0 && a >= p_.base && a - p_.base < p_.size && len <= p_.size - (a - p_.base);
}

bool MemoryController::move_data(tlm::tlm_generic_payload& trans) {
  const Addr a = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (!contains(a, len)) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  if (trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  if (trans.is_read())
    store_.read(a, trans.get_data_ptr(), len);
  else if (trans.is_write())
    store_.write(a, trans.get_data_ptr(), len);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void MemoryController::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (!move_data(trans)) {
    ++errors_;
    return;
  }
  const bool write = trans.is_write();
  const Tick arrival = now_tick() + to_tick(delay);
  const DramAccess r = dram_.access(arrival, trans.get_address() - p_.base, trans.get_data_length(), write);
  row_hits_ += r.row_hits;
  row_misses_ += r.row_misses;
  row_conflicts_ += r.row_conflicts;
  if (refresh_waits_) {
    *refresh_waits_ += r.refresh_waits;
    *refresh_closes_ += r.refresh_closes;
  }
  if (write) {
    ++writes_;
    bytes_written_ += trans.get_data_length();
  } else {
    ++reads_;
    bytes_read_ += trans.get_data_length();
  }
  latency_.sample(r.done - arrival);
  if (MemoryOutcome* out = trans.get_extension<MemoryOutcome>()) {
    out->reached = true;
    out->addr = trans.get_address();
    out->accepted = arrival;
  }
  delay = to_sc_time(r.done - now_tick());
}

bool MemoryController::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  const Addr a = trans.get_address();
  const Addr page = a & ~(SparseMemory::kPageBytes - 1);
  if (!contains(page, SparseMemory::kPageBytes)) return false;
  dmi.set_dmi_ptr(store_.page_for_dmi(page));
  dmi.set_start_address(page);
  dmi.set_end_address(page + SparseMemory::kPageBytes - 1);
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
  dmi.set_read_latency(sc_core::SC_ZERO_TIME);
  dmi.set_write_latency(sc_core::SC_ZERO_TIME);
  return true;
}

unsigned int MemoryController::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  return move_data(trans) ? trans.get_data_length() : 0;
}

}  // namespace iommusim
