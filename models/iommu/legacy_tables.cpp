#include "iommu/legacy_tables.h"

#include <stdexcept>

#include <fmt/format.h>

#include "vtd/root_entry.h"
#include "vtd/sl_pte.h"

namespace iommusim {

LegacyTables::LegacyTables(Addr pool_base, std::uint64_t pool_bytes, Write write)
    : pool_base_((pool_base + 0xfff) & ~Addr(0xfff)),
      pool_end_(pool_base + pool_bytes),
      next_(pool_base_),
      write_(std::move(write)),
      root_(allocate()) {}

Addr LegacyTables::allocate() {
  if (next_ + 4096 > pool_end_) throw std::logic_error("table pool exhausted");
  const Addr a = next_;
  next_ += 4096;
  return a;  // memory is zero until written (sparse memory), the shadow too
}

void LegacyTables::store(Addr pa, std::uint64_t v) {
  shadow_[pa] = v;
  write_(pa, v);
}

std::uint64_t LegacyTables::entry(Addr pa) const {
  auto it = shadow_.find(pa);
  return it == shadow_.end() ? 0 : it->second;
}

Addr LegacyTables::new_domain_table() { return allocate(); }

void LegacyTables::set_context(std::uint16_t sid, const ContextEntry& ce) {
  const Addr re_addr = root_ + (sid >> 8) * 16;
  RootEntry re = RootEntry::decode(entry(re_addr), 0, 64);
  if (!re.present) {
    re.present = true;
    re.ctp = allocate();
    store(re_addr, re.lo());
    store(re_addr + 8, re.hi());
  }
  const Addr ce_addr = re.ctp + (sid & 0xff) * 16;
  store(ce_addr, ce.lo());
  store(ce_addr + 8, ce.hi());
}

void LegacyTables::map(Addr top, unsigned levels, Addr iova, Addr pa, unsigned page_shift, bool r, bool w) {
  const unsigned leaf_level = (page_shift - 12) / 9 + 1;
  if ((iova | pa) & ((Addr(1) << page_shift) - 1))
    throw std::logic_error(fmt::format("map: {:#x} -> {:#x} not aligned to 2^{}", iova, pa, page_shift));
  Addr table = top;
  for (unsigned level = levels; level > leaf_level; --level) {
    const Addr e_addr = table + 8 * sl_index(iova, level);
    const SlPte e = SlPte::decode(entry(e_addr));
    if (e.present() && SlPte::is_leaf(level, e.ps))
      throw std::logic_error(fmt::format("map: {:#x} is inside a larger page", iova));
    if (!e.present()) {
      const Addr next = allocate();
      store(e_addr, sl_make_table(next));
      table = next;
    } else {
      table = e.addr;
    }
  }
  store(table + 8 * sl_index(iova, leaf_level), sl_make_page(pa, leaf_level, r, w));
}

void LegacyTables::unmap(Addr top, unsigned levels, Addr iova, unsigned page_shift) {
  const unsigned leaf_level = (page_shift - 12) / 9 + 1;
  Addr table = top;
  for (unsigned level = levels; level > leaf_level; --level) {
    const SlPte e = SlPte::decode(entry(table + 8 * sl_index(iova, level)));
    if (!e.present() || SlPte::is_leaf(level, e.ps)) return;
    table = e.addr;
  }
  const Addr leaf = table + 8 * sl_index(iova, leaf_level);
  if (entry(leaf) != 0) store(leaf, 0);
}

}  // namespace iommusim
