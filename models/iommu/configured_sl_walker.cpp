#include "iommu/configured_sl_walker.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "common/error.h"

namespace iommusim {

namespace {

// The RTL walker's memory in `rtl` mode: reads through the unit's socket at
// the times the RTL's clock edges hand them over.
class UnitTimedMemory : public TimedMemory {
 public:
  explicit UnitTimedMemory(UnitReader& r) : r_(r) {}
  bool read(Tick at, Addr pa, std::uint64_t& value, Tick& done) override {
    r_.wait_until(at);
    const bool ok = r_.try_read_qword(pa, value);
    done = r_.time();
    return ok;
  }

 private:
  UnitReader& r_;
};

// Untimed reads through the socket's debug transport (the RTL's reads in
// `both` mode that the TLM walk did not make).
class DebugTableReader : public TableReader {
 public:
  explicit DebugTableReader(UnitPort& s) : s_(s) {}
  std::uint64_t read_qword(Addr pa) override {
    std::uint64_t v = 0;
    try_read_qword(pa, v);
    return v;
  }
  bool try_read_qword(Addr pa, std::uint64_t& value) override {
    unsigned char buf[8] = {};
    tlm::tlm_generic_payload t;
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(pa);
    t.set_data_ptr(buf);
    t.set_data_length(8);
    t.set_streaming_width(8);
    const unsigned n = s_->transport_dbg(t);
    value = 0;
    for (int b = 7; b >= 0; --b) value = (value << 8) | buf[b];
    return n == 8;
  }

 private:
  UnitPort& s_;
};

std::uint64_t cycles_up(Tick span, Tick cycle) { return cycle ? (span + cycle - 1) / cycle : 0; }

SlWalkResult walk_tlm(TableReader& reader, const SlWalkParams& wp, const SlWalkRequest& rq) {
  return walk_second_level(reader, wp, rq.iova, rq.write, rq.read, rq.start_level, rq.start_table, rq.start_r,
                           rq.start_w);
}

}  // namespace

ConfiguredSlWalker::ConfiguredSlWalker(const StatsGroup& unit, const std::string& config_name, WalkerKind kind,
                                       Tick cycle_ps, UnitPort& mem)
    : unit_name_(unit.prefix()), config_name_(config_name), kind_(kind), cycle_ps_(cycle_ps), mem_(mem) {
  if (kind != WalkerKind::Tlm) {
    rtl_ = make_rtl_sl_walker();
    if (!rtl_)
      throw InputError(
          fmt::format("{}: walker {}: this build has no RTL walker", unit_name_, walker_kind_name(kind)));
    const StatsGroup g = unit.group("rtl_walker");
    rtl_stats_.walks = &g.counter("walks", "Second-level walks run on the RTL walker");
    rtl_stats_.clock_cycles = &g.histogram("clock_cycles",
                                           "RTL walker clock cycles per walk, request accepted to result taken "
                                           "(the clock stops while a read is at the memory)",
                                           "Cycle");
    g.formula("vcd_shifted_walks",
              "Walks drawn later in the waveform than their simulated time (they overlapped an earlier walk)",
              "Count", [this] { return rtl_ ? double(rtl_->shifted_walks()) : 0.0; });
  }
  if (kind == WalkerKind::Both) {
    const StatsGroup g = unit.group("cosim");
    cosim_.walks = &g.counter("walks", "Second-level walks run on both the TLM and the RTL walker");
    cosim_.mismatches = &g.counter("mismatches", "Walks whose TLM and RTL results differ");
    for (unsigned b = 0; b < kCosimFieldCount; ++b)
      cosim_.field[b] = &g.counter(fmt::format("mismatch_{}", cosim_field_name(b)),
                                   fmt::format("Mismatching walks that differ in {}", cosim_field_name(b)));
    cosim_.tlm_cycles =
        &g.histogram("tlm_cycles", "TLM walk time in unit cycles (rounded up), slot acquired to last read", "Cycle");
    cosim_.rtl_cycles = &g.histogram(
        "rtl_cycles", "RTL walk time in unit cycles (rounded up): clock cycles plus memory latencies", "Cycle");
    cosim_.cycle_diff =
        &g.histogram("cycle_diff", "RTL walk time minus TLM walk time, in unit cycles (rounded up)", "Cycle");
    cosim_.rtl_faster = &g.counter("rtl_faster", "Walks the RTL finished before the TLM walker (not in cycle_diff)");
  }
}

SlWalkResult ConfiguredSlWalker::walk(UnitReader& reader, const SlWalkParams& wp, const SlWalkRequest& rq) {
  if (kind_ == WalkerKind::Tlm || !rtl_) return walk_tlm(reader, wp, rq);
  const Tick start = reader.time();
  if (kind_ == WalkerKind::Rtl) {
    UnitTimedMemory m(reader);
    RtlWalkOutcome o = rtl_->walk(m, start, cycle_ps_, wp, rq);
    reader.wait_until(o.end);
    ++*rtl_stats_.walks;
    rtl_stats_.clock_cycles->sample(o.cycles);
    return std::move(o.result);
  }
  // Both: the TLM walk decides; the RTL walks the same request against a
  // replay of the TLM walk's reads (same data, same latencies, no traffic).
  RecordingReader rec(reader, [&reader] { return std::max(reader.time(), now_tick()); });
  SlWalkResult w = walk_tlm(rec, wp, rq);
  const Tick tlm_end = reader.time();
  DebugTableReader dbg(mem_);
  ReplayMemory replay(rec.log(), dbg);
  const RtlWalkOutcome o = rtl_->walk(replay, start, cycle_ps_, wp, rq);
  ++*rtl_stats_.walks;
  rtl_stats_.clock_cycles->sample(o.cycles);
  ++*cosim_.walks;
  cosim_.tlm_cycles->sample(cycles_up(tlm_end - start, cycle_ps_));
  cosim_.rtl_cycles->sample(cycles_up(o.end - start, cycle_ps_));
  if (o.end >= tlm_end) cosim_.cycle_diff->sample(cycles_up(o.end - tlm_end, cycle_ps_));
  else ++*cosim_.rtl_faster;
  const unsigned fields = compare_walks(w, rec.log(), o.result, o.reads);
  if (fields) {
    ++*cosim_.mismatches;
    for (unsigned b = 0; b < kCosimFieldCount; ++b)
      if (fields & (1u << b)) ++*cosim_.field[b];
    if (cosim_.mismatches->value() <= kCosimReportsShown) {
      std::string text = fmt::format("{} at {} ps: ", unit_name_, start) +
                         describe_walk_mismatch(wp, rq, w, rec.log(), o.result, o.reads, fields);
      if (cosim_.mismatches->value() == kCosimReportsShown) text += "\n  (further mismatches are counted, not shown)";
      cosim_reports_.push_back(text);
      SC_REPORT_WARNING("/iommu/cosim", text.c_str());
    }
  }
  return w;
}

void ConfiguredSlWalker::open_vcd(const std::string& path, Tick from, Tick to) {
  if (!rtl_)
    throw InputError(fmt::format("--vcd: the waveform is the RTL walker's, and {} has walker: tlm (set "
                                 "platform.iommus[].walker to rtl or both, e.g. --set {}.walker=rtl)",
                                 unit_name_, config_name_));
  try {
    rtl_->open_vcd(path, from, to);
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("--vcd: {}", e.what()));
  }
}

void ConfiguredSlWalker::close_vcd() {
  if (rtl_) rtl_->close_vcd();
}

void ConfiguredSlWalker::use_rtl_walker(std::unique_ptr<RtlSlWalker> w) {
  if (kind_ == WalkerKind::Tlm) throw std::logic_error("use_rtl_walker: the unit's walker is tlm");
  rtl_ = std::move(w);
}

}  // namespace iommusim
