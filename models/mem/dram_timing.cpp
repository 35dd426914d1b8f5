#include "mem/dram_timing.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/error.h"

namespace iommusim {

namespace {

// Bounds the per-bank state a config can ask for.
constexpr uint64_t kMaxBanks = 65536;

const DramParams& validated(const DramParams& p) {
  DramTiming::validate(p);
  return p;
}

}  // namespace

void DramTiming::validate(const DramParams& p) {
  if (p.tck_ps < 1) throw InputError(fmt::format("tck_ps: expected >= 1, got {}", p.tck_ps));
  // tWR may be 0 (write recovery ignored); the others must take time.
  const std::pair<const char*, unsigned> cycles[] = {
      {"tCL", p.tCL},   {"tRCD", p.tRCD}, {"tRP", p.tRP},
      {"tRAS", p.tRAS}, {"tCWL", p.tCWL}, {"tBURST", p.tBURST},
  };
  for (const auto& [name, value] : cycles)
    if (value < 1) throw InputError(fmt::format("{}: expected >= 1, got {}", name, value));
  if (p.tREFI_ps == 0 && p.tRFC_ps != 0)
    throw InputError(
        fmt::format("tRFC_ns: expected 0 when tREFI_ns is 0 (refresh off), got {}", double(p.tRFC_ps) / 1000));
  if (p.tREFI_ps != 0 && (p.tRFC_ps == 0 || p.tRFC_ps >= p.tREFI_ps))
    throw InputError(fmt::format("tRFC_ns: expected 0 < tRFC_ns < tREFI_ns ({}), got {}", double(p.tREFI_ps) / 1000,
                                 double(p.tRFC_ps) / 1000));
  try {
    AddressMap::validate(p.geometry);
  } catch (const InputError& e) {
    throw InputError(std::string("geometry.") + e.what());
  }
  const uint64_t banks = uint64_t{p.geometry.channels} * p.geometry.ranks * p.geometry.banks;
  if (banks > kMaxBanks)
    throw InputError(fmt::format("geometry.banks: expected channels * ranks * banks <= {}, got {}",
                                 kMaxBanks, banks));
}

DramTiming::DramTiming(const DramParams& p) : params_(validated(p)), map_(p.geometry) {
  const auto& g = params_.geometry;
  banks_.resize(size_t{g.channels} * g.ranks * g.banks);
  buses_.resize(g.channels);
}

DramAccess DramTiming::access(Tick arrival, Addr offset, uint64_t size, bool is_write) {
  if (size == 0) throw std::invalid_argument("DramTiming::access: size 0");
  const uint64_t bb = params_.geometry.burst_bytes;
  const uint64_t first = offset / bb;
  const uint64_t last = first + (offset % bb + size - 1) / bb;
  const Tick t = arrival + cycles(params_.frontend_cycles);

  DramAccess out;
  out.done = t;
  for (uint64_t chunk = first; chunk <= last; ++chunk)
    out.done = std::max(out.done, burst(t, chunk * bb, is_write, out));

  ++(is_write ? writes_ : reads_);
  bytes_ += size;
  bursts_ += out.bursts;
  row_hits_ += out.row_hits;
  row_misses_ += out.row_misses;
  row_conflicts_ += out.row_conflicts;
  refresh_waits_ += out.refresh_waits;
  refresh_closes_ += out.refresh_closes;
  return out;
}

Tick DramTiming::refresh_start(unsigned rank, uint64_t k) const {
  return Tick{rank} * (params_.tREFI_ps / params_.geometry.ranks) + k * params_.tREFI_ps;
}

uint64_t DramTiming::refresh_index(unsigned rank, Tick t) const {
  const Tick offset = Tick{rank} * (params_.tREFI_ps / params_.geometry.ranks);
  if (t < offset + params_.tREFI_ps) return 0;
  return (t - offset) / params_.tREFI_ps;
}

Tick DramTiming::apply_refresh(Bank& bank, unsigned rank, uint64_t row, Tick t, DramAccess& out) {
  bool waited = false;
  for (;;) {
    const uint64_t k = refresh_index(rank, t);
    if (k > 0) {
      const Tick end = refresh_start(rank, k) + params_.tRFC_ps;
      if (k > bank.refreshed) {
        bank.refreshed = k;
        if (bank.open) {
          bank.open = false;
          ++out.refresh_closes;
        }
        bank.next_act = std::max(bank.next_act, end);
      }
      if (t < end) {
        t = end;
        if (!waited) ++out.refresh_waits;
        waited = true;
      }
    }
    // The burst's first command; a refresh started by then applies first.
    const Tick first = !bank.open ? std::max(t, bank.next_act)
                       : bank.row == row ? std::max(t, bank.next_col)
                                         : std::max(t, bank.next_pre);
    if (refresh_index(rank, first) == k) return t;
    t = first;
  }
}

Tick DramTiming::burst(Tick t, Addr chunk, bool is_write, DramAccess& out) {
  const DramCoord c = map_.decode(chunk);
  const auto& g = params_.geometry;
  Bank& bank = banks_[(size_t{c.channel} * g.ranks + c.rank) * g.banks + c.bank];
  if (params_.tREFI_ps) t = apply_refresh(bank, c.rank, c.row, t, out);

  if (params_.page_policy == DramParams::PagePolicy::Adaptive && bank.open &&
      t > bank.idle_from + params_.page_idle_ps) {
    // The controller closed the idle row.
    bank.next_act = std::max(bank.idle_from + params_.page_idle_ps, bank.next_pre) + cycles(params_.tRP);
    bank.open = false;
  }
  Tick col;
  if (bank.open && bank.row == c.row) {
    ++out.row_hits;
    col = std::max(t, bank.next_col);
  } else {
    Tick act;
    if (bank.open) {
      ++out.row_conflicts;
      act = std::max(t, bank.next_pre) + cycles(params_.tRP);
    } else {
      ++out.row_misses;
      act = std::max(t, bank.next_act);
    }
    bank.open = true;
    bank.row = c.row;
    bank.next_pre = std::max(bank.next_pre, act + cycles(params_.tRAS));
    col = act + cycles(params_.tRCD);
  }

  const Tick latency = cycles(is_write ? params_.tCWL : params_.tCL);
  const Tick start = buses_[c.channel].reserve(col + latency, cycles(params_.tBURST));
  const Tick done = start + cycles(params_.tBURST);
  const Tick col_eff = start - latency;
  bank.next_col = col_eff + cycles(params_.tBURST);
  bank.next_pre = std::max(bank.next_pre, bank.next_col);
  if (is_write) bank.next_pre = std::max(bank.next_pre, done + cycles(params_.tWR));
  bank.idle_from = std::max(bank.idle_from, is_write ? done + cycles(params_.tWR) : col_eff + cycles(params_.tBURST));

  if (params_.page_policy == DramParams::PagePolicy::Closed) {
    bank.next_act = bank.next_pre + cycles(params_.tRP);
    bank.open = false;
  }
  ++out.bursts;
  return done;
}

}  // namespace iommusim
