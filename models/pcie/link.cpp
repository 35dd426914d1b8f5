#include "pcie/link.h"

#include "common/pcie_attr.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/sc_time_conv.h"
#include "common/stats_group.h"

namespace iommusim {

namespace {

std::uint32_t interval(ConfigNode& n, const std::string& key, std::uint32_t def) {
  const auto v = n.u64(key, def, 0, kMaxInterval);
  if (v != 0 && v < kMinInterval)
    n.fail(key, fmt::format("expected 0 (none) or {}..{} bytes, got {}", kMinInterval, kMaxInterval, v));
  return static_cast<std::uint32_t>(v);
}

}  // namespace

LinkParams LinkParams::from_config(ConfigNode n, unsigned mps) {
  LinkParams p;
  LinkConfig& c = p.timing;
  c.mps = mps;
  c.generation = static_cast<unsigned>(n.u64("generation", c.generation, 1, 5));
  c.width = static_cast<unsigned>(n.u64("width", c.width, 1, 32));
  if (!valid_width(c.width)) n.fail("width", fmt::format("expected 1, 2, 4, 8, 12, 16 or 32 lanes, got {}", c.width));
  c.rcb = static_cast<unsigned>(n.u64("rcb", c.rcb, 64, 128));
  if (c.rcb != 64 && c.rcb != 128) n.fail("rcb", fmt::format("expected 64 or 128 bytes, got {}", c.rcb));
  c.cpl_split = n.choice("cpl_split", "mps", {"mps", "rcb"}) == "rcb" ? CplSplit::Rcb : CplSplit::Mps;
  c.ecrc = n.boolean("ecrc", c.ecrc);
  c.always_4dw = n.boolean("always_4dw", c.always_4dw);
  c.latency_ps = n.time_ns("latency_ns", c.latency_ps / 1000.0, 0, 1e9);
  const std::uint32_t limit = ack_limit_symbols(c.generation, c.width, c.mps);
  c.ack_interval = interval(n, "ack_interval", limit);
  c.fc_interval = interval(n, "fc_interval", limit);
  c.skp_interval = interval(n, "skp_interval", c.skp_interval);
  c.dllp_direction =
      n.choice("dllp_direction", "same", {"same", "opposite"}) == "opposite" ? DllpDirection::Opposite : DllpDirection::Same;
  return p;
}

Link::Direction::Direction(const StatsGroup& g, const char* dir, const LinkConfig& c)
    : meter(c),
      tlps(g.counter(fmt::format("{}_tlps", dir), fmt::format("TLPs sent {}stream", dir))),
      dllps(g.counter(fmt::format("{}_dllps", dir), fmt::format("ACK and UpdateFC DLLPs sent {}stream", dir))),
      skps(g.counter(fmt::format("{}_skps", dir), fmt::format("SKP ordered sets sent {}stream", dir))),
      bytes(g.counter(fmt::format("{}_bytes", dir),
                      fmt::format("Bytes on the wire {}stream (TLPs with overhead, DLLPs, SKPs)", dir), "Byte")),
      payload(g.counter(fmt::format("{}_payload_bytes", dir), fmt::format("Data bytes carried by TLPs {}stream", dir),
                        "Byte")),
      busy(g.counter(fmt::format("{}_busy", dir), fmt::format("Time the {}stream direction was serializing", dir),
                     "Tick")) {
  g.formula(fmt::format("{}_utilisation", dir),
            fmt::format("{}_busy / max(simulated time, end of the last {}stream reservation)", dir, dir), "Ratio",
            [this] {
              const Tick span = std::max(now_tick(), line.busy_until());
              return span ? static_cast<double>(busy.value()) / static_cast<double>(span) : 0.0;
            });
}

Tick Link::Direction::count_overhead(unsigned count, unsigned each_bytes, Counter& counter, const LinkTiming& t) {
  const Tick ser = t.serialize_ps(each_bytes) * count;
  counter += count;
  bytes += std::uint64_t{count} * each_bytes;
  busy += ser;
  return ser;
}

Link::Link(sc_core::sc_module_name name, const LinkParams& p, StatsRegistry& stats)
    : sc_module(name),
      from_device("from_device"),
      to_host("to_host"),
      from_host("from_host"),
      to_device("to_device"),
      t_(p.timing),
      up_(StatsGroup(stats, this->name()), "up", p.timing),
      down_(StatsGroup(stats, this->name()), "down", p.timing) {
  from_device.register_b_transport(this, &Link::b_transport);
  from_host.register_b_transport(this, &Link::b_transport_down);
}

Tick Link::send(Direction& d, Direction& other, Tick earliest, std::uint64_t wire, std::uint32_t payload) {
  const Tick ser = t_.serialize_ps(wire);
  // DLLPs owed to this direction by the other one's TLPs go out just before
  // this TLP, in the same reservation.
  const Tick start = d.line.reserve(earliest, d.owed_ps + ser) + d.owed_ps;
  d.owed_ps = 0;
  const Tick end = start + ser;
  ++d.tlps;
  d.bytes += wire;
  d.payload += payload;
  d.busy += ser;

  const DllpMeter::Due due = d.meter.on_tlp(wire);
  Tick after = d.count_overhead(due.skps, kSkpBytes, d.skps, t_);
  if (t_.config().dllp_direction == DllpDirection::Opposite)
    other.owed_ps += other.count_overhead(due.acks + due.fcs, kDllpBytes, other.dllps, t_);
  else
    after += d.count_overhead(due.acks + due.fcs, kDllpBytes, d.dllps, t_);
  // SKPs (and DLLPs on this direction) right after the TLP.
  if (after) d.line.reserve(end, after);
  return end + t_.config().latency_ps;
}

void Link::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const Tick now = now_tick();
  const bool write = trans.is_write();
  const Addr addr = trans.get_address();
  const auto len = static_cast<std::uint32_t>(trans.get_data_length());

  const std::uint64_t wire = write ? t_.write_wire_bytes(addr, len) : t_.read_request_wire_bytes(addr);
  delay = to_sc_time(send(up_, down_, now + to_tick(delay), wire, write ? len : 0) - now);
  to_host->b_transport(trans, delay);
  if (write) return;  // posted: no completion TLP

  // Read completions, from when the data is back; a failed read gets one
  // completion without data (Unsupported Request / Completer Abort).
  const Tick ready = now + to_tick(delay);
  Tick done = ready;
  if (trans.is_response_ok()) {
    t_.for_each_completion(addr, len, [&](std::uint32_t n) {
      done = std::max(done, send(down_, up_, ready, t_.completion_wire_bytes(n), n));
    });
  } else {
    done = send(down_, up_, ready, t_.completion_wire_bytes(0), 0);
  }
  delay = to_sc_time(done - now);
}

void Link::b_transport_down(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (to_device.size() == 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);  // nothing below the link
    return;
  }
  const Tick now = now_tick();
  const bool write = trans.is_write();
  const Addr addr = trans.get_address();
  const auto len = static_cast<std::uint32_t>(trans.get_data_length());
  const PcieAttr* attr = trans.get_extension<PcieAttr>();
  const bool invalidate = attr && attr->ats_invalidate;
  // An invalidate request is a message with a 4 DW header (PCIe 10.3.1).
  const Addr header_addr = invalidate ? Addr{1} << 32 : addr;
  const std::uint64_t wire = write ? t_.write_wire_bytes(header_addr, len) : t_.read_request_wire_bytes(addr);
  delay = to_sc_time(send(down_, up_, now + to_tick(delay), wire, write ? len : 0) - now);
  to_device[0]->b_transport(trans, delay);
  const Tick ready = now + to_tick(delay);
  if (invalidate) {
    if (trans.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE) return;  // never answered
    delay = to_sc_time(send(up_, down_, ready, t_.write_wire_bytes(Addr{1} << 32, 0), 0) - now);
    return;
  }
  if (write) return;  // posted
  Tick done = ready;
  if (trans.is_response_ok()) {
    t_.for_each_completion(addr, len, [&](std::uint32_t n) {
      done = std::max(done, send(up_, down_, ready, t_.completion_wire_bytes(n), n));
    });
  } else {
    done = send(up_, down_, ready, t_.completion_wire_bytes(0), 0);
  }
  delay = to_sc_time(done - now);
}

}  // namespace iommusim
