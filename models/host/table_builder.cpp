#include "host/table_builder.h"

#include <stdexcept>
#include <utility>

#include "vtd/root_entry.h"
#include "vtd/sm_context_entry.h"

namespace iommusim {

TableBuilder::TableBuilder(TableMode mode, EntryStores order, Allocate allocate, Write write)
    : mode_(mode), order_(order), allocate_(std::move(allocate)), write_(std::move(write)), root_(0) {
  root_ = allocate_("the root table");
}

void TableBuilder::store_entry(Addr at, const uint64_t* q, unsigned n, unsigned which) {
  if (order_ == EntryStores::Ascending) {
    for (unsigned i = 0; i < n; ++i)
      if (which & (1u << i)) write_(at + 8ull * i, q[i]);
    return;
  }
  for (unsigned i = n; i-- > 1;)
    if (which & (1u << i)) write_(at + 8ull * i, q[i]);
  if (which & 1u) write_(at, q[0]);
}

unsigned TableBuilder::table_key(uint16_t sid) const {
  const unsigned bus = sid >> 8;
  return mode_ == TableMode::Legacy ? bus : bus * 2 + ((sid & 0xff) >= 128 ? 1 : 0);
}

Addr TableBuilder::context_table(uint16_t sid) {
  const unsigned key = table_key(sid);
  auto it = context_tables_.find(key);
  if (it != context_tables_.end()) return it->second;
  const unsigned bus = sid >> 8;
  const Addr re_at = root_ + Addr{bus} * kRootEntryBytes;
  if (mode_ == TableMode::Legacy) {
    const Addr t = allocate_("a context table");
    context_tables_.emplace(key, t);
    RootEntry re;  // VT-d 9.1
    re.present = true;
    re.ctp = t;
    const uint64_t q[2] = {re.lo(), re.hi()};
    store_entry(re_at, q, 2, order_ == EntryStores::Ascending ? 0b11u : 0b01u);
    return t;
  }
  // Scalable mode (VT-d 9.2): only the half that gains a table is stored;
  // the other half keeps what it holds.
  const Addr t = allocate_("a scalable-mode context table");
  context_tables_.emplace(key, t);
  ScalableRootEntry re;
  auto lo = context_tables_.find(bus * 2), hi = context_tables_.find(bus * 2 + 1);
  if (lo != context_tables_.end()) re.lower_present = true, re.lctp = lo->second;
  if (hi != context_tables_.end()) re.upper_present = true, re.uctp = hi->second;
  const bool upper = key & 1;
  write_(re_at + (upper ? 8 : 0), upper ? re.hi() : re.lo());
  return t;
}

Addr TableBuilder::context_entry_addr(uint16_t sid) {
  const Addr table = context_table(sid);
  const unsigned devfn = sid & 0xff;
  return mode_ == TableMode::Legacy ? table + Addr{devfn} * kContextEntryBytes
                                    : table + Addr{devfn & 0x7fu} * kSmContextEntryBytes;
}

void TableBuilder::set_context(uint16_t sid, const ContextEntry& ce) {
  if (mode_ != TableMode::Legacy) throw std::logic_error("set_context: legacy context entry in scalable mode");
  const uint64_t q[2] = {ce.lo(), ce.hi()};
  store_entry(context_entry_addr(sid), q, 2, 0b11u);
}

void TableBuilder::set_rid_pasid(uint16_t sid, const PasidEntry& pe) {
  if (mode_ != TableMode::Scalable) throw std::logic_error("set_rid_pasid: PASID tables in legacy mode");
  const Addr ce_at = context_entry_addr(sid);
  const Addr dir = allocate_("a PASID directory");
  const Addr table = allocate_("a PASID table");
  uint64_t q[kPasidEntryQwords];
  unsigned which = 1;  // the qword with the present bit, always
  for (unsigned i = 0; i < kPasidEntryQwords; ++i) {
    q[i] = pe.q(i);
    if (i > 0 && q[i] != 0) which |= 1u << i;
  }
  store_entry(table, q, kPasidEntryQwords, which);  // PASID 0: the table's first entry
  PasidDirEntry de;
  de.present = true;
  de.table = table;
  write_(dir, de.raw());  // PASID[19:6] = 0: the directory's first entry
  SmContextEntry ce;
  ce.present = true;
  ce.pdts = 0;  // 2^7 directory entries; only the first is used
  ce.pasid_dir_ptr = dir;
  ce.rid_pasid = 0;
  const uint64_t cq[4] = {ce.q0(), ce.q1(), ce.q2(), ce.q3()};
  store_entry(ce_at, cq, 4, 0b0011u);
}

void TableBuilder::clear_context(uint16_t sid) {
  const Addr table = context_tables_.at(table_key(sid));
  const unsigned devfn = sid & 0xff;
  const Addr at = mode_ == TableMode::Legacy ? table + Addr{devfn} * kContextEntryBytes
                                             : table + Addr{devfn & 0x7fu} * kSmContextEntryBytes;
  write_(at, 0);  // present bit first
  write_(at + 8, 0);
}

}  // namespace iommusim
