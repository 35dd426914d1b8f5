// The bench the remapping-unit system tests share: the unit with a probe on its
// memory port (walks, queue fetches, IRTE and posted-descriptor accesses) in
// front of a DRAM memory controller, a sink for translated DMA, a sink for
// interrupt messages, and a driver that issues register accesses, DMAs and
// interrupt requests at given times.
#pragma once
#include <map>
#include <random>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "common/config.h"
#include "common/msi_message.h"
#include "common/pcie_attr.h"
#include "common/sc_time_conv.h"
#include "common/stats.h"
#include "host/boot_tables.h"
#include "vtd/registers.h"
#include "iommu/remapping_unit.h"
#include "mem/memory_controller.h"

namespace iommusim::bench {

constexpr Tick kNs = 1000;

// Passes requests through and records when each arrived and completed.
struct Probe : sc_core::sc_module {
  tlm_utils::simple_target_socket<Probe> in{"in"};
  tlm_utils::simple_initiator_socket<Probe> out{"out"};
  struct Seen {
    Addr addr;
    Tick arrival, done;
  };
  std::vector<Seen> seen;
  explicit Probe(sc_core::sc_module_name n) : sc_module(n) { in.register_b_transport(this, &Probe::bt); }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    const Tick arrival = now_tick() + to_tick(d);
    out->b_transport(t, d);
    seen.push_back({t.get_address(), arrival, now_tick() + to_tick(d)});
  }
};

// A memory for translated DMA that answers at once and records arrivals; as
// the interrupt sink it also keeps each write's first 4 data bytes and, like
// the interrupt controller, reports the decoded vector and destination
// through the request's PcieAttr.
struct Sink : sc_core::sc_module {
  tlm_utils::simple_target_socket<Sink> in{"in"};
  std::vector<std::pair<Addr, Tick>> seen;
  std::vector<std::uint32_t> data;
  explicit Sink(sc_core::sc_module_name n) : sc_module(n) { in.register_b_transport(this, &Sink::bt); }
  void bt(tlm::tlm_generic_payload& t, sc_core::sc_time& d) {
    seen.push_back({t.get_address(), now_tick() + to_tick(d)});
    std::uint32_t v = 0;
    for (unsigned i = 0; i < 4 && i < t.get_data_length(); ++i) v |= std::uint32_t(t.get_data_ptr()[i]) << (8 * i);
    data.push_back(v);
    if (PcieAttr* a = t.get_extension<PcieAttr>()) {
      const MsiFields f = decode_msi(t.get_address(), v);
      a->interrupt_delivered = true;
      a->vector = f.vector;
      a->dest = f.dest;
    }
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// Issues register accesses and DMAs (with a requester ID) at given times.
struct Driver : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Driver> regs{"regs"};
  tlm_utils::simple_initiator_socket<Driver> dma{"dma"};
  tlm_utils::simple_initiator_socket<Driver> msi{"msi"};
  explicit Driver(sc_core::sc_module_name n) : sc_module(n) {}

  tlm::tlm_response_status reg(Addr offset, unsigned size, std::uint64_t& v, bool write) {
    unsigned char b[8];
    for (unsigned i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    tlm::tlm_generic_payload t;
    t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    t.set_address(0xFED90000 + offset);
    t.set_data_ptr(b);
    t.set_data_length(size);
    t.set_streaming_width(size);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    regs->b_transport(t, d);
    if (!write) {
      v = 0;
      for (unsigned i = 0; i < size; ++i) v |= std::uint64_t(b[i]) << (8 * i);
    }
    return t.get_response_status();
  }
  std::uint64_t read(Addr off, unsigned size = 4) {
    std::uint64_t v = 0;
    reg(off, size, v, false);
    return v;
  }
  void write(Addr off, std::uint64_t v, unsigned size = 4) { reg(off, size, v, true); }

  struct Result {
    Tick done;
    bool ok;
    std::uint8_t fault;
  };
  // A DMA issued at absolute time `at` (>= now) without waiting.
  Result dma_at(Tick at, std::uint16_t rid, Addr addr, bool write) {
    unsigned char buf[64] = {};
    PcieAttr attr;
    attr.requester.bus = static_cast<std::uint8_t>(rid >> 8);
    attr.requester.dev = static_cast<std::uint8_t>((rid >> 3) & 0x1f);
    attr.requester.fn = static_cast<std::uint8_t>(rid & 7);
    tlm::tlm_generic_payload t;
    t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(buf);
    t.set_data_length(64);
    t.set_streaming_width(64);
    t.set_extension(&attr);
    sc_core::sc_time d = to_sc_time(at - now_tick());
    dma->b_transport(t, d);
    t.clear_extension(&attr);
    return {now_tick() + to_tick(d), t.is_response_ok(), attr.fault_reason};
  }

  struct AtsResult {
    Tick done;
    bool ok;                  // a completion (else Unsupported Request)
    std::uint8_t fault;       // recorded fault reason with UR
    std::uint64_t completion; // the translation completion data entry
  };
  // An ATS translation request (AT = 01b, an 8-byte read) at absolute time `at`.
  AtsResult translate_at(Tick at, std::uint16_t rid, Addr addr) {
    unsigned char buf[8] = {};
    PcieAttr attr;
    attr.requester.bus = static_cast<std::uint8_t>(rid >> 8);
    attr.requester.dev = static_cast<std::uint8_t>((rid >> 3) & 0x1f);
    attr.requester.fn = static_cast<std::uint8_t>(rid & 7);
    attr.at = AddressType::TranslationRequest;
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(buf);
    t.set_data_length(8);
    t.set_streaming_width(8);
    t.set_extension(&attr);
    sc_core::sc_time d = to_sc_time(at - now_tick());
    dma->b_transport(t, d);
    t.clear_extension(&attr);
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | buf[i];
    return {now_tick() + to_tick(d), t.is_response_ok(), attr.fault_reason, v};
  }

  struct MsiResult {
    Tick done;
    bool ok;
    std::uint8_t fault;
    bool delivered;
    std::uint32_t vector, dest;
  };
  // An interrupt request (4-byte write of `data` to `addr`) issued at
  // absolute time `at` (>= now) from requester `rid`.
  MsiResult msi_at(Tick at, std::uint16_t rid, Addr addr, std::uint32_t data) {
    unsigned char buf[4];
    for (unsigned i = 0; i < 4; ++i) buf[i] = static_cast<unsigned char>(data >> (8 * i));
    PcieAttr attr;
    attr.requester.bus = static_cast<std::uint8_t>(rid >> 8);
    attr.requester.dev = static_cast<std::uint8_t>((rid >> 3) & 0x1f);
    attr.requester.fn = static_cast<std::uint8_t>(rid & 7);
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(buf);
    t.set_data_length(4);
    t.set_streaming_width(4);
    t.set_extension(&attr);
    sc_core::sc_time d = to_sc_time(at - now_tick());
    msi->b_transport(t, d);
    t.clear_extension(&attr);
    return {now_tick() + to_tick(d), t.is_response_ok(), attr.fault_reason, attr.interrupt_delivered,
            attr.vector, attr.dest};
  }
};

// The bench: unit + probe on its walk port + DRAM memory; translated DMA to a sink.
struct Bench {
  StatsRegistry stats;
  MemoryController mem;
  RemappingUnit unit;
  Probe walk_probe{"walk_probe"};
  Sink sink{"sink"};
  Sink irq_sink{"irq_sink"};  // interrupt messages (fault and invalidation events)
  Sink ats_sink{"ats_sink"};  // ATS invalidate requests (answered at once)
  Driver drv{"drv"};
  BootTables tables;

  static MemoryParams memory_params(const std::string& yaml) {
    Config c = yaml.empty() ? Config::empty() : Config::from_string(yaml, "memory.yaml");
    return MemoryParams::from_config(c.root().child("memory"));
  }
  static RemappingUnitParams unit_params(const std::string& yaml) {
    Config c = Config::from_string(yaml.empty() ? "unit: {}" : yaml, "unit.yaml");
    return RemappingUnitParams::from_config(c.root().child("unit"), 52);
  }
  explicit Bench(const std::string& unit_yaml = "", const std::string& memory_yaml = "")
      : mem("mem", memory_params(memory_yaml), stats),
        unit("iommu0", unit_params(unit_yaml), stats, 1),
        tables(0x100000, 16 << 20, [this](Addr pa, std::uint64_t v) { mem.store().write_le(pa, v, 8); }) {
    drv.regs.bind(unit.regs);
    drv.dma.bind(unit.dma_in);
    unit.mem.bind(walk_probe.in);
    walk_probe.out.bind(mem.tsock);
    unit.dma_out.bind(sink.in);
    drv.msi.bind(unit.msi_in);
    unit.irq_out.bind(irq_sink.in);
    unit.ats_out.bind(ats_sink.in);
  }
  // RTADDR, SRTP, TE.
  void enable() {
    drv.write(reg::kRtaddr, tables.root_table(), 8);
    drv.write(reg::kGcmd, 1u << 30);
    drv.write(reg::kGcmd, 1u << 31);
  }
  ContextEntry context(std::uint16_t did, Addr top, bool fpd = false) {
    ContextEntry ce;
    ce.present = true;
    ce.fpd = fpd;
    ce.did = did;
    ce.aw = kAw48;
    ce.slptptr = top;
    return ce;
  }
  const Counter& counter(const std::string& leaf) {
    return *static_cast<const Counter*>(stats.find("iommu0." + leaf));
  }
};

}  // namespace iommusim::bench
