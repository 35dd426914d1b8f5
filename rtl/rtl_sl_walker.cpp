// The Verilator wrapper of rtl/iommu_sl_walker.sv: drives the Verilated model
// cycle by cycle for one walk at a time, turns its memory reads into reads of
// a TimedMemory (the unit's socket, a replay of the TLM walk's reads, or a
// test's memory) and its result back into an SlWalkResult. Plain C++ (no
// SystemC): models/iommu/rtl_walker.h is the interface.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

// Verilator's headers are not -Wextra clean (unused parameters).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <verilated.h>
#include <verilated_vcd_c.h>

#include "Viommu_sl_walker.h"
#include "Viommu_sl_walker_broken.h"
#pragma GCC diagnostic pop
#include "iommu/rtl_walker.h"

namespace iommusim {

namespace {

// A walk never needs more than a few dozen cycles (five reads); a model that
// runs this long without answering is broken.
constexpr unsigned kMaxWalkCycles = 100000;

template <class V>
class VerilatedSlWalker final : public RtlSlWalker {
 public:
  VerilatedSlWalker() {
    ctx_ = std::make_unique<VerilatedContext>();
    ctx_->traceEverOn(true);
    top_ = std::make_unique<V>(ctx_.get(), "walker");
    top_->clk = 0;
    top_->rst_n = 0;
    top_->req_valid = 0;
    top_->mem_req_ready = 0;
    top_->mem_rsp_valid = 0;
    top_->rsp_ready = 0;
    top_->eval();
    for (int i = 0; i < 2; ++i) {
      top_->clk = 1;
      top_->eval();
      top_->clk = 0;
      top_->eval();
    }
    top_->rst_n = 1;
    top_->eval();
  }

  ~VerilatedSlWalker() override {
    close_vcd();
    top_->final();
  }

  void set_port_timing(const RtlPortTiming& t) override {
    timing_ = t;
    rng_ = t.seed ? t.seed : 1;
  }

  void open_vcd(const std::string& path, Tick from, Tick to) override {
    close_vcd();
    auto vcd = std::make_unique<VerilatedVcdC>();
    top_->trace(vcd.get(), 99);
    vcd->open(path.c_str());
    if (!vcd->isOpen()) throw std::runtime_error(path + ": cannot open the VCD file for writing");
    vcd_ = std::move(vcd);
    vcd_from_ = from;
    vcd_to_ = to;
    vcd_last_ = 0;
    vcd_any_ = false;
  }

  void close_vcd() override {
    if (vcd_) {
      vcd_->close();
      vcd_.reset();
    }
  }

  std::uint64_t shifted_walks() const override { return shifted_; }
  unsigned contexts() const override { return IOMMUSIM_RTL_NUM_WALKS; }

  RtlWalkOutcome walk(TimedMemory& mem, Tick start, Tick cycle_ps, const SlWalkParams& p,
                      const SlWalkRequest& q) override {
    if (cycle_ps < 2) throw std::logic_error("RTL walker: the clock period must be at least 2 ps");
    const Tick half = cycle_ps / 2;
    RtlWalkOutcome out;
    V& t = *top_;

    // Waveform time: the walk's own time, moved later if an earlier-drawn
    // walk already reaches past its start.
    vcd_offset_ = 0;
    if (vcd_ && vcd_any_ && start <= vcd_last_) {
      vcd_offset_ = vcd_last_ + cycle_ps - start;
      ++shifted_;
    }

    t.cfg_haw = static_cast<CData>(std::min(p.haw, 127u));
    t.cfg_mgaw = static_cast<CData>(std::min(p.mgaw, 127u));
    t.cfg_sp_2m = p.sp_2m;
    t.cfg_sp_1g = p.sp_1g;
    t.cfg_sc = p.sc;
    t.cfg_dt = p.dt;
    t.req_valid = 1;
    t.req_iova = q.iova;
    t.req_read = q.read;
    t.req_write = q.write;
    t.req_levels = static_cast<CData>(std::min(p.levels, 7u));
    t.req_table = p.table;
    t.req_start_level = static_cast<CData>(std::min(q.start_level, 7u));
    t.req_start_table = q.start_table;
    t.req_start_r = q.start_r;
    t.req_start_w = q.start_w;
    unsigned mem_stall = draw(timing_.max_mem_stall);
    unsigned result_stall = draw(timing_.max_result_stall);
    t.mem_req_ready = mem_stall == 0;
    t.rsp_ready = result_stall == 0;
    t.mem_rsp_valid = 0;
    t.eval();
    dump(start);

    // The one read in flight, its response waiting to be presented.
    bool pending = false;
    unsigned rsp_wait = 0;
    WalkRead rd;
    unsigned rd_id = 0;

    Tick now = start;  // time of the last rising edge (or the start)
    for (;;) {
      if (out.cycles >= kMaxWalkCycles) throw std::runtime_error("RTL walker: no result after 100000 cycles");
      // Handshakes of this cycle, seen before the rising edge.
      const bool req_fire = t.req_valid && t.req_ready;
      const bool mem_fire = t.mem_req_valid && t.mem_req_ready;
      const bool rsp_fire = t.rsp_valid && t.rsp_ready;
      const bool mem_rsp = t.mem_rsp_valid;
      const bool mem_stalled = t.mem_req_valid && !t.mem_req_ready;
      const bool rsp_stalled = t.rsp_valid && !t.rsp_ready;
      const Addr mem_addr = t.mem_req_addr;
      const unsigned mem_id = t.mem_req_id;
      if (rsp_fire) {
        out.result.ok = t.rsp_ok;
        out.result.fault = static_cast<FaultReason>(t.rsp_fault);
        out.result.pa = t.rsp_pa;
        out.result.page_size = t.rsp_page_shift ? std::uint64_t{1} << t.rsp_page_shift : 0;
        out.result.r = t.rsp_r;
        out.result.w = t.rsp_w;
        out.result.end_level = t.rsp_level;
      }

      now += cycle_ps;
      t.clk = 1;
      t.eval();
      ++out.cycles;
      dump(now);

      // Falling edge: the inputs of the next cycle.
      t.clk = 0;
      if (req_fire) t.req_valid = 0;
      if (mem_rsp) {
        t.mem_rsp_valid = 0;
        pending = false;
      }
      if (rsp_fire) {
        t.rsp_ready = 0;
        t.eval();
        dump(now + half);
        break;
      }
      if (mem_fire) {
        rd = WalkRead{};
        rd.addr = mem_addr;
        rd_id = mem_id;
        rd.issued = now;
        rd.ok = mem.read(now, mem_addr, rd.data, rd.done);
        if (rd.done < now) rd.done = now;
        out.reads.push_back(rd);
        pending = true;
        rsp_wait = draw(timing_.max_rsp_delay);
        mem_stall = draw(timing_.max_mem_stall);
      }
      if (mem_stalled && mem_stall > 0) --mem_stall;
      t.mem_req_ready = mem_stall == 0;
      if (rsp_stalled && result_stall > 0) --result_stall;
      t.rsp_ready = result_stall == 0;
      if (pending && !mem_fire && rsp_wait > 0) --rsp_wait;
      if (mem_fire && rd.done > now) {
        // The clock stops while the read is at the memory.
        t.eval();
        dump(now + half);
        now = rd.done;
      }
      if (pending && rsp_wait == 0 && !t.mem_rsp_valid) {
        t.mem_rsp_valid = 1;
        t.mem_rsp_id = static_cast<CData>(rd_id);
        t.mem_rsp_data = rd.data;
        t.mem_rsp_err = !rd.ok;
      }
      t.eval();
      dump(now + half);
    }
    out.end = now;

    // Steps: the entries read successfully, levels from the start level down.
    unsigned level = p.levels;
    if (q.start_level != 0) level = std::min(q.start_level, p.levels);
    for (const WalkRead& r : out.reads) {
      if (!r.ok || level == 0) break;
      out.result.steps.push_back({level, r.addr, r.data});
      --level;
    }
    return out;
  }

 private:
  unsigned draw(unsigned max) {
    if (max == 0) return 0;
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return static_cast<unsigned>(rng_ % (max + 1));
  }

  void dump(Tick at) {
    if (!vcd_ || at < vcd_from_ || at > vcd_to_) return;
    Tick when = at + vcd_offset_;
    if (vcd_any_ && when <= vcd_last_) when = vcd_last_ + 1;
    vcd_->dump(static_cast<std::uint64_t>(when));
    vcd_last_ = when;
    vcd_any_ = true;
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  std::unique_ptr<VerilatedVcdC> vcd_;
  Tick vcd_from_ = 0, vcd_to_ = ~Tick{0};
  Tick vcd_last_ = 0;
  Tick vcd_offset_ = 0;
  bool vcd_any_ = false;
  std::uint64_t shifted_ = 0;
  RtlPortTiming timing_;
  std::uint64_t rng_ = 1;
};

}  // namespace

std::unique_ptr<RtlSlWalker> make_rtl_sl_walker(RtlVariant v) {
  if (v == RtlVariant::BrokenPa) return std::make_unique<VerilatedSlWalker<Viommu_sl_walker_broken>>();
  return std::make_unique<VerilatedSlWalker<Viommu_sl_walker>>();
}

bool rtl_walker_built() { return true; }

}  // namespace iommusim
