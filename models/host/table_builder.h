// The structures above a domain's page table, as software builds them in
// memory: the root table (VT-d 3.4.1 legacy, 3.4.2 scalable mode), context
// tables with legacy context entries (9.1, 9.3), or scalable-mode context
// tables (9.2, 9.4) whose entries point at a PASID directory (9.5) and a
// PASID table (9.6) holding the RID_PASID entry. The entries are encoded by
// vtd/; second-level page tables are DomainPageTable's.
//
// The builder owns no memory: it takes zeroed 4 KiB pages from an Allocate
// callback (so the driver model can hand out pages from the same window as
// its queues and interrupt table, in its own order) and performs every
// 8-byte little-endian store through a Write callback (timed stores in the
// driver model, trace records in map-trace, direct stores in tests). It
// keeps the context-table pointers it created, so it never reads memory.
//
// The order of the stores is part of what a unit can observe while it
// walks, so it is chosen by the user (EntryStores below).
#pragma once
#include <cstdint>
#include <functional>
#include <map>

#include "common/types.h"
#include "vtd/context_entry.h"
#include "vtd/pasid_entry.h"

namespace iommusim {

// RTADDR_REG.TTM (VT-d 11.4.5): 00b legacy, 01b scalable mode.
enum class TableMode { Legacy, Scalable };

enum class EntryStores {
  // For a unit that may be walking (the driver model, Linux's order): the
  // upper qwords of an entry first and the qword holding the present bit
  // last, so that a walk never sees a present entry with stale upper
  // fields. Qwords that are zero in a freshly zeroed page stay unwritten:
  // the legacy root entry's reserved upper half (9.1), the scalable-mode
  // context entry's reserved qwords 2 and 3 (9.4) and zero qwords of a
  // PASID-table entry above the first (9.6).
  PresentLast,
  // For tables built before translation is enabled (map-trace, benches,
  // tests), when no order can be observed: both qwords of each 128-bit
  // entry, low first, including the legacy root entry's zero upper half
  // (map-trace's output has always held that store). PASID-table entries
  // store the same qwords as PresentLast, lowest first.
  Ascending,
};

class TableBuilder {
 public:
  using Write = std::function<void(Addr pa, uint64_t value)>;
  // A zeroed 4 KiB page; `what` names its use for an error message. Throws
  // when there is none (the builder lets the exception through).
  using Allocate = std::function<Addr(const char* what)>;

  // Allocates the root table (nothing is written: a zero root entry is not
  // present).
  TableBuilder(TableMode mode, EntryStores order, Allocate allocate, Write write);

  TableMode mode() const { return mode_; }
  Addr root() const { return root_; }

  // The context table `sid` uses (legacy: its bus's; scalable: its bus's
  // lower half for devfn 0..127, upper half for 128..255), created with its
  // root entry (or root-entry half) when it does not exist yet.
  Addr context_table(uint16_t sid);
  // Address of `sid`'s context entry (legacy 16 bytes, scalable 32 bytes),
  // creating its context table as context_table() does.
  Addr context_entry_addr(uint16_t sid);

  // Legacy mode: writes `sid`'s context entry (VT-d 9.3).
  void set_context(uint16_t sid, const ContextEntry& ce);

  // Scalable mode: a PASID directory of one entry (PDTS = 0) and a PASID
  // table are allocated (in that order), `pe` is written as the entry of
  // PASID 0, the directory entry is pointed at the table, and `sid`'s
  // scalable-mode context entry at the directory with RID_PASID = 0, so that
  // requests without PASID use `pe` (VT-d 9.4-9.6). Each call allocates a
  // new directory and table: the previous ones are not reused.
  void set_rid_pasid(uint16_t sid, const PasidEntry& pe);

  // Makes `sid`'s context entry not present: the qword with the present bit
  // first, then the rest of the first 128 bits (both modes). std::out_of_range
  // if its context table was never created.
  void clear_context(uint16_t sid);

 private:
  // Stores the qwords of `q` whose bit is set in `which`, in the order
  // EntryStores asks for.
  void store_entry(Addr at, const uint64_t* q, unsigned n, unsigned which);
  unsigned table_key(uint16_t sid) const;

  TableMode mode_;
  EntryStores order_;
  Allocate allocate_;
  Write write_;
  Addr root_;
  // Legacy: bus -> context table; scalable: bus * 2 + (devfn >= 128) -> table.
  std::map<unsigned, Addr> context_tables_;
};

}  // namespace iommusim
