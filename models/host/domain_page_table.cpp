#include "host/domain_page_table.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "vtd/sl_pte.h"

namespace iommusim {

namespace {

constexpr Addr kPageMask = 0xfff;
constexpr uint64_t kPaLimit = uint64_t{1} << 52;  // SL-PTE ADDR holds bits 51:12

bool present(uint64_t e) { return SlPte::decode(e).present(); }

const char* size_name(unsigned level) {
  switch (level) {
    case 1: return "4 KiB";
    case 2: return "2 MiB";
    case 3: return "1 GiB";
  }
  return "?";
}

}  // namespace

DomainPageTable::DomainPageTable(const PageTableParams& p, TablePagePool& pool, Writer writer)
    : p_(p), pool_(pool), writer_(std::move(writer)) {
  if (p_.levels < 3 || p_.levels > 5)
    throw std::invalid_argument(fmt::format("page table with {} levels: 3, 4 or 5 expected", p_.levels));
  std::vector<Addr> added;
  root_ = new_table(p_.levels, root_writes_, added)->pa;
  commit(root_writes_);
}

DomainPageTable::~DomainPageTable() = default;

uint64_t DomainPageTable::aperture_bytes() const { return sl_level_size(p_.levels + 1); }

void DomainPageTable::check_args(const char* op, Addr iova, uint64_t size) const {
  if (size == 0) throw std::invalid_argument(fmt::format("{} at IOVA {:#x}: size 0", op, iova));
  if ((iova | size) & kPageMask)
    throw std::invalid_argument(
        fmt::format("{} of {:#x} bytes at IOVA {:#x}: IOVA and size must be 4 KiB aligned", op, size, iova));
  if (size > aperture_bytes() || iova > aperture_bytes() - size)
    throw std::invalid_argument(fmt::format("{} [{:#x}, {:#x}): beyond the {}-level table's {}-bit input space", op,
                                            iova, iova + size, p_.levels, 12 + 9 * p_.levels));
}

unsigned DomainPageTable::leaf_level_for(Addr iova, Addr pa, uint64_t remaining) const {
  if (p_.superpages) {
    if (p_.sp_1g && ((iova | pa) & (sl_level_size(3) - 1)) == 0 && remaining >= sl_level_size(3)) return 3;
    if (p_.sp_2m && ((iova | pa) & (sl_level_size(2) - 1)) == 0 && remaining >= sl_level_size(2)) return 2;
  }
  return 1;
}

void DomainPageTable::store(Table& t, unsigned idx, uint64_t v, PteWrites& out) {
  const bool was = present(t.e[idx]), is = present(v);
  if (was && !is) --t.present;
  if (!was && is) ++t.present;
  t.e[idx] = v;
  out.push_back(PteWrite{t.pa + Addr{idx} * kSlEntryBytes, v});
  ++stats_.entry_writes;
}

void DomainPageTable::commit(const PteWrites& writes) const {
  if (!writer_) return;
  for (const auto& w : writes) writer_(w.pa, w.value);
}

DomainPageTable::Table* DomainPageTable::new_table(unsigned level, PteWrites& out,
                                                   std::vector<Addr>& added) {
  auto page = pool_.allocate();
  if (!page)
    throw TablePoolExhausted(fmt::format("table page pool at {:#x} exhausted ({} pages)", pool_.base(),
                                         pool_.capacity()));
  // The kernel zeroes a table page when it allocates it; only entries still
  // holding data need a store.
  for (uint16_t slot : page->stale) {
    out.push_back(PteWrite{page->pa + Addr{slot} * kSlEntryBytes, 0});
    ++stats_.entry_writes;
    ++stats_.zero_writes;
  }
  auto t = std::make_unique<Table>();
  t->pa = page->pa;
  t->level = level;
  Table* raw = t.get();
  tables_.emplace(page->pa, std::move(t));
  added.push_back(page->pa);
  ++stats_.tables_allocated;
  return raw;
}

void DomainPageTable::check_unmapped(const Table& t, Addr base, Addr lo, Addr hi) const {
  const uint64_t esz = sl_level_size(t.level);
  const unsigned first = lo <= base ? 0 : static_cast<unsigned>((lo - base) / esz);
  const unsigned last = static_cast<unsigned>(std::min<uint64_t>(511, (hi - base) / esz));
  for (unsigned i = first; i <= last; ++i) {
    const SlPte e = SlPte::decode(t.e[i]);
    if (!e.present()) continue;
    const Addr span = base + Addr{i} * esz;
    if (SlPte::is_leaf(t.level, e.ps))
      throw std::invalid_argument(fmt::format("map [{:#x}, {:#x}): overlaps the {} page mapped at IOVA {:#x}", lo,
                                              hi + 1, size_name(t.level), span));
    check_unmapped(*tables_.at(e.addr), span, lo, hi);
  }
}

uint64_t DomainPageTable::tables_needed(Addr iova, Addr pa, uint64_t size) const {
  // Dry run of map(): count the tables that do not exist yet. A missing
  // table is identified by its level and the IOVA span it covers.
  std::set<std::pair<unsigned, Addr>> missing;
  Addr cur = iova, cur_pa = pa;
  uint64_t remaining = size;
  while (remaining) {
    const unsigned leaf = leaf_level_for(cur, cur_pa, remaining);
    const Table* t = tables_.at(root_).get();
    for (unsigned l = p_.levels; l > leaf; --l) {
      if (t) {
        const SlPte e = SlPte::decode(t->e[sl_index(cur, l)]);
        if (e.present()) {
          t = tables_.at(e.addr).get();
          continue;
        }
        t = nullptr;
      }
      missing.emplace(l - 1, cur >> sl_level_shift(l));
    }
    const uint64_t step = sl_level_size(leaf);
    cur += step;
    cur_pa += step;
    remaining -= step;
  }
  return missing.size();
}

void DomainPageTable::retire_subtree(Addr table, std::vector<Addr>& freed) {
  auto node = tables_.extract(table);
  Table& t = *node.mapped();
  if (t.level > 1)
    for (uint64_t raw : t.e) {
      const SlPte e = SlPte::decode(raw);
      if (e.present() && !SlPte::is_leaf(t.level, e.ps)) retire_subtree(e.addr, freed);
    }
  freed.push_back(table);
  ++stats_.tables_freed;
  pending_.insert(std::move(node));
}

uint64_t DomainPageTable::mapped_bytes(const Table& t) const {
  uint64_t n = 0;
  for (uint64_t raw : t.e) {
    const SlPte e = SlPte::decode(raw);
    if (!e.present()) continue;
    n += SlPte::is_leaf(t.level, e.ps) ? sl_level_size(t.level) : mapped_bytes(*tables_.at(e.addr));
  }
  return n;
}

PtMapResult DomainPageTable::map(Addr iova, Addr pa, uint64_t size, bool r, bool w) {
  check_args("map", iova, size);
  if (pa & kPageMask)
    throw std::invalid_argument(fmt::format("map at IOVA {:#x}: physical address {:#x} is not 4 KiB aligned", iova, pa));
  if (size > kPaLimit || pa > kPaLimit - size)
    throw std::invalid_argument(
        fmt::format("map at IOVA {:#x}: physical range [{:#x}, {:#x}) is beyond 52 bits", iova, pa, pa + size));
  if (!r && !w)
    throw std::invalid_argument(fmt::format("map at IOVA {:#x}: neither read nor write permission", iova));
  check_unmapped(*tables_.at(root_), 0, iova, iova + size - 1);
  const uint64_t needed = tables_needed(iova, pa, size);
  if (needed > pool_.available())
    throw TablePoolExhausted(fmt::format("map [{:#x}, {:#x}): needs {} table pages, the pool at {:#x} has {} left",
                                         iova, iova + size, needed, pool_.base(), pool_.available()));

  PtMapResult res;
  Addr cur = iova, cur_pa = pa;
  uint64_t remaining = size;
  Addr replaced_lo = 0, replaced_hi = 0;
  while (remaining) {
    const unsigned leaf = leaf_level_for(cur, cur_pa, remaining);
    Table* t = tables_.at(root_).get();
    for (unsigned l = p_.levels; l > leaf; --l) {
      const unsigned idx = sl_index(cur, l);
      const SlPte e = SlPte::decode(t->e[idx]);
      if (e.present()) {
        t = tables_.at(e.addr).get();
        continue;
      }
      Table* child = new_table(l - 1, res.writes, res.new_tables);
      store(*t, idx, sl_make_table(child->pa), res.writes);
      t = child;
    }
    const unsigned idx = sl_index(cur, leaf);
    const SlPte old = SlPte::decode(t->e[idx]);
    const uint64_t step = sl_level_size(leaf);
    if (old.present()) {
      // A pointer to a table without leaves (check_unmapped found none):
      // the superpage replaces it (switch_to_super_page()).
      retire_subtree(old.addr, res.freed_tables);
      ++stats_.superpage_replacements;
      if (!res.flush) replaced_lo = cur;
      replaced_hi = cur + step;
      res.flush = FlushRange{replaced_lo, replaced_hi - replaced_lo, false};
    }
    store(*t, idx, sl_make_page(cur_pa, leaf, r, w), res.writes);
    (leaf == 1 ? res.leaves_4k : leaf == 2 ? res.leaves_2m : res.leaves_1g)++;
    cur += step;
    cur_pa += step;
    remaining -= step;
  }
  ++stats_.maps;
  stats_.leaves_4k += res.leaves_4k;
  stats_.leaves_2m += res.leaves_2m;
  stats_.leaves_1g += res.leaves_1g;
  commit(res.writes);
  return res;
}

void DomainPageTable::check_no_split(Addr at, Addr lo, Addr hi) const {
  const Table* t = tables_.at(root_).get();
  for (unsigned l = p_.levels; l >= 1; --l) {
    const SlPte e = SlPte::decode(t->e[sl_index(at, l)]);
    if (!e.present()) return;
    if (SlPte::is_leaf(l, e.ps)) {
      const uint64_t sz = sl_level_size(l);
      const Addr start = at & ~(sz - 1);
      if (start < lo || start + (sz - 1) > hi)
        throw std::invalid_argument(fmt::format("unmap [{:#x}, {:#x}): would split the {} page at IOVA {:#x}", lo,
                                                hi + 1, size_name(l), start));
      return;
    }
    t = tables_.at(e.addr).get();
  }
}

void DomainPageTable::clear(Table& t, Addr base, Addr lo, Addr hi, PtUnmapResult& r) {
  const uint64_t esz = sl_level_size(t.level);
  const unsigned first = lo <= base ? 0 : static_cast<unsigned>((lo - base) / esz);
  const unsigned last = static_cast<unsigned>(std::min<uint64_t>(511, (hi - base) / esz));
  for (unsigned i = first; i <= last; ++i) {
    const SlPte e = SlPte::decode(t.e[i]);
    if (!e.present()) continue;
    const Addr span_lo = base + Addr{i} * esz, span_hi = span_lo + (esz - 1);
    if (SlPte::is_leaf(t.level, e.ps)) {
      store(t, i, 0, r.writes);
      r.unmapped_bytes += esz;
      ++stats_.leaf_clears;
    } else if (p_.free_tables_on_unmap && lo <= span_lo && span_hi <= hi) {
      // The whole table goes (dma_pte_clear_level()): clear the pointer,
      // leave its entries, free its pages after the flush.
      r.unmapped_bytes += mapped_bytes(*tables_.at(e.addr));
      retire_subtree(e.addr, r.freed_tables);
      store(t, i, 0, r.writes);
    } else {
      clear(*tables_.at(e.addr), span_lo, lo, hi, r);
    }
  }
}

PtUnmapResult DomainPageTable::unmap(Addr iova, uint64_t size) {
  check_args("unmap", iova, size);
  const Addr lo = iova, hi = iova + size - 1;
  check_no_split(lo, lo, hi);
  check_no_split(hi, lo, hi);
  PtUnmapResult res;
  clear(*tables_.at(root_), 0, lo, hi, res);
  res.flush = FlushRange{iova, size, res.freed_tables.empty()};
  ++stats_.unmaps;
  commit(res.writes);
  return res;
}

void DomainPageTable::release_tables(const std::vector<Addr>& pages) {
  for (Addr pa : pages) {
    auto it = pending_.find(pa);
    if (it == pending_.end())
      throw std::logic_error(fmt::format("table page {:#x} released but not freed by this page table", pa));
    std::vector<uint16_t> stale;
    for (unsigned i = 0; i < 512; ++i)
      if (it->second->e[i] != 0) stale.push_back(static_cast<uint16_t>(i));
    pool_.release(pa, std::move(stale));
    pending_.erase(it);
  }
}

std::optional<Translation> DomainPageTable::translate(Addr iova) const {
  if (iova >= aperture_bytes()) return std::nullopt;
  const Table* t = tables_.at(root_).get();
  for (unsigned l = p_.levels; l >= 1; --l) {
    const SlPte e = SlPte::decode(t->e[sl_index(iova, l)]);
    if (!e.present()) return std::nullopt;
    if (SlPte::is_leaf(l, e.ps)) {
      const uint64_t sz = sl_level_size(l);
      return Translation{e.addr + (iova & (sz - 1)), sz, e.r, e.w};
    }
    t = tables_.at(e.addr).get();
  }
  return std::nullopt;
}

}  // namespace iommusim
