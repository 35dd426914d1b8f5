// DRAM timing of one memory controller: per-bank row-buffer state and one
// data bus per channel. Times are ps; parameters are cycles of the DRAM clock
// tCK, as datasheets (JEDEC DDR4) give them.
//
// The rules, applied to each burst of a request (tests check them exactly):
//  * T = arrival + frontend_cycles (the controller's pipeline, once per
//    request). A request is split into the burst_bytes-aligned chunks it
//    touches; each is a burst that reaches its bank at T, in address order.
//  * Row hit (the bank's open row is the burst's row): col = max(T, next_col).
//  * Bank closed (row miss): act = max(T, next_act); col = act + tRCD.
//  * Row conflict (another row open): pre = max(T, next_pre);
//    act = pre + tRP; col = act + tRCD.
//  * After an ACT: next_pre >= act + tRAS (a row stays open at least tRAS).
//  * Data occupies the channel's data bus for tBURST from
//    start = bus.reserve(col + (write ? tCWL : tCL), tBURST), which may fill an
//    idle gap before later bursts; the burst is done at start + tBURST. The
//    column command is taken to issue at col_eff = start - tCL (tCWL), so
//    next_col = col_eff + tBURST (column commands to a bank are tBURST apart).
//  * next_pre >= col_eff + tBURST: a bank is not precharged before the burst
//    it is serving; after a write also next_pre >= done + tWR (write recovery).
//  * Closed page policy: after each burst the bank precharges at
//    pre = next_pre (which already includes the two bounds above), then
//    next_act = pre + tRP and the row is closed.
//  * Adaptive page policy (Intel's "adaptive page closing"): open page, but
//    the controller precharges a row that has been idle for page_idle_ps
//    since its last column command ended (col_eff + tBURST, or the write
//    recovery for a write): when a burst reaches a bank whose row is open and
//    t > idle_from + page_idle, the row was closed at
//    pre = max(idle_from + page_idle, next_pre), next_act = pre + tRP, and
//    the burst is a row miss.
//  * A request is done when its last burst is.
//  * Refresh (off when tREFI_ps = 0): every rank r refreshes all its banks
//    in [start(r, k), start(r, k) + tRFC) for k = 1, 2, ..., with
//    start(r, k) = r * (tREFI / ranks) + k * tREFI (ranks staggered evenly).
//    Before the row rules, per burst with bank arrival t: if the last
//    refresh of the burst's rank started at or before t (index k), and the
//    bank has not yet seen refresh k, the refresh closes its row (counted in
//    refresh_closes) and next_act >= start(r, k) + tRFC; if t lies inside
//    that refresh, t = start(r, k) + tRFC (the burst waits, counted once in
//    refresh_waits). Then the burst's first command time c (col for a hit,
//    pre for a conflict, act for a closed bank; from t and the bank's
//    next_col / next_pre / next_act) is checked: if a later refresh of the
//    rank starts at or before c, t = c and the step repeats. The row rules
//    then run with this t. A column command pushed later by the data bus
//    alone is not re-checked. The refresh itself takes exactly tRFC from its
//    start (no postponing, no wait for open rows' tRAS).
// Not modelled: tRRD/tFAW (activate spacing), tRTP (read to
// precharge beyond the burst itself), read/write bus turnaround, command bus
// contention, request reordering (FR-FCFS): requests are served in call order.
#pragma once
#include <cstdint>
#include <vector>

#include "common/resource_timeline.h"
#include "common/types.h"
#include "mem/address_map.h"

namespace iommusim {

struct DramParams {
  Tick tck_ps = 625;  // DDR4-3200: 1600 MHz clock, 0.625 ns
  // DDR4-3200AA (22-22-22), in tCK cycles.
  unsigned tCL = 22;    // read command to data
  unsigned tRCD = 22;   // ACT to column command
  unsigned tRP = 22;    // PRE to ACT
  unsigned tRAS = 52;   // ACT to PRE
  unsigned tCWL = 16;   // write command to data
  unsigned tWR = 24;    // end of write data to PRE (0 allowed)
  unsigned tBURST = 4;  // BL8 on a double-data-rate bus
  unsigned frontend_cycles = 0;  // controller pipeline latency, once per request
  enum class PagePolicy { Open, Closed, Adaptive } page_policy = PagePolicy::Open;
  Tick page_idle_ps = 0;  // adaptive: an open row idle this long is precharged
  // All-bank refresh per rank (JEDEC DDR4 8 Gb: tREFI 7.8 us, tRFC 350 ns);
  // in ps, not cycles, as datasheets give them. tREFI_ps = 0: no refresh
  // (then tRFC_ps must be 0 too); else 0 < tRFC_ps < tREFI_ps.
  Tick tREFI_ps = 0;
  Tick tRFC_ps = 0;
  DramGeometry geometry;  // 2 channels x 1 rank x 16 banks, 8 KiB rows, 64 B bursts
};

// The outcome of one request; the counts are of its bursts.
struct DramAccess {
  Tick done = 0;
  unsigned bursts = 0, row_hits = 0, row_misses = 0, row_conflicts = 0;
  unsigned refresh_waits = 0;   // bursts that arrived during a refresh of their rank
  unsigned refresh_closes = 0;  // open rows a refresh closed before this request's bursts
};

class DramTiming {
 public:
  // Throws InputError whose message starts with the field name, e.g.
  // "tCL: expected >= 1, got 0" or "geometry.channels: expected a power of
  // two, got 3"; callers prefix the key path.
  static void validate(const DramParams& p);

  explicit DramTiming(const DramParams& p);

  const DramParams& params() const { return params_; }
  const AddressMap& address_map() const { return map_; }

  // A request of `size` >= 1 bytes at `offset` into the controller's range,
  // arriving at `arrival`. Updates the banks and buses; std::invalid_argument
  // if size is 0.
  DramAccess access(Tick arrival, Addr offset, uint64_t size, bool is_write);

  // Cumulative since construction.
  uint64_t reads() const { return reads_; }    // requests
  uint64_t writes() const { return writes_; }  // requests
  uint64_t bursts() const { return bursts_; }
  uint64_t row_hits() const { return row_hits_; }
  uint64_t row_misses() const { return row_misses_; }  // bank was closed
  uint64_t row_conflicts() const { return row_conflicts_; }
  uint64_t bytes() const { return bytes_; }  // requested, read and written
  uint64_t refresh_waits() const { return refresh_waits_; }
  uint64_t refresh_closes() const { return refresh_closes_; }
  // The start of refresh k >= 1 of `rank` (refresh on).
  Tick refresh_start(unsigned rank, uint64_t k) const;
  Tick bus_busy_ps() const { return bursts_ * cycles(params_.tBURST); }  // all channels

 private:
  struct Bank {
    bool open = false;
    uint64_t row = 0;
    Tick next_col = 0, next_pre = 0, next_act = 0;
    Tick idle_from = 0;  // adaptive policy: when the row's last use ended
    uint64_t refreshed = 0;  // the last refresh of its rank applied to the bank
  };

  Tick cycles(unsigned n) const { return Tick{n} * params_.tck_ps; }
  // One burst reaching its bank at t; returns when its data is done.
  Tick burst(Tick t, Addr chunk, bool is_write, DramAccess& out);
  // The index k >= 1 of the last refresh of `rank` started at or before t, or 0.
  uint64_t refresh_index(unsigned rank, Tick t) const;
  // The refresh rules above: the time the burst may start at its bank.
  Tick apply_refresh(Bank& bank, unsigned rank, uint64_t row, Tick t, DramAccess& out);

  DramParams params_;
  AddressMap map_;
  std::vector<Bank> banks_;             // [channel][rank][bank]
  std::vector<ResourceTimeline> buses_;  // data bus per channel
  uint64_t reads_ = 0, writes_ = 0, bursts_ = 0, bytes_ = 0;
  uint64_t row_hits_ = 0, row_misses_ = 0, row_conflicts_ = 0;
  uint64_t refresh_waits_ = 0, refresh_closes_ = 0;
};

}  // namespace iommusim
