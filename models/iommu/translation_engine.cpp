#include "iommu/translation_engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "iommu/context_lookup.h"
#include "iommu/fl_walker.h"
#include "iommu/sm_lookup.h"
#include "vtd/fl_pte.h"
#include "vtd/registers.h"
#include "vtd/sl_pte.h"

namespace iommusim {

namespace {

unsigned log2_exact(std::uint64_t v) {
  unsigned s = 0;
  while ((std::uint64_t(1) << s) < v) ++s;
  return s;
}

// The outcome of a request forwarded with its address as it is (pass-through,
// or already translated) at time t.
TranslationEngine::Outcome forwarded(TranslationEngine::Outcome& out, Addr pa, Tick t) {
  out.ok = true;
  out.pa = pa;
  out.done = t;
  return out;
}

// What a table lookup behind a cache gives.
template <class Entry>
struct TableLookupResult {
  bool ok = false;
  FaultReason fault = FaultReason::kNone;
  bool fpd = false;
  Entry entry{};
};

}  // namespace

TranslationEngine::TranslationEngine(const StatsGroup& unit, const RemappingUnitParams& p, const RegisterFile& regs,
                                     UnitPort& mem, TranslationStats& stats, InvalidationStats& inv,
                                     ScopeStats& scopes, std::uint64_t seed)
    : p_(p),
      regs_(regs),
      mem_(mem),
      stats_(stats),
      inv_(inv),
      scopes_(scopes),
      cycle_ps_(p.cycle_ps()),
      cc_(p.context_cache, seed),
      pasid_cache_(p.pasid_cache, seed + 8),
      iotlb_(p.iotlb, seed + 16),
      psc_(p.psc, seed + 32),
      fl_psc_(p.fl_psc, seed + 48),
      walkers_(p.walker_slots),
      sl_walker_(unit, p.name, p.walker, cycle_ps_, mem),
      ordering_(p.ordering_rules()) {
  if (p.ordering_class) stats_.add_ordering_classes(unit);
  for (unsigned l = PagingStructureCache::kMinLevel; l <= PagingStructureCache::kMaxLevel; ++l) {
    unit.formula(fmt::format("psc_hits_l{}", l), fmt::format("Walks resumed from the level-{} paging-structure cache", l),
                 "Count", [this, l] { return double(psc_.hits(l)); });
    unit.formula(fmt::format("psc_misses_l{}", l),
                 fmt::format("Paging-structure-cache lookups that probed level {} and missed it", l), "Count",
                 [this, l] { return double(psc_.misses(l)); });
    unit.formula(fmt::format("psc_evictions_l{}", l),
                 fmt::format("Level-{} paging-structure-cache entries evicted by fills", l), "Count",
                 [this, l] { return double(psc_.evictions(l)); });
    unit.formula(fmt::format("fl_psc_hits_l{}", l),
                 fmt::format("First-level walks resumed from the level-{} first-level paging-structure cache", l),
                 "Count", [this, l] { return double(fl_psc_.hits(l)); });
    unit.formula(fmt::format("fl_psc_misses_l{}", l),
                 fmt::format("First-level paging-structure-cache lookups that probed level {} and missed it", l),
                 "Count", [this, l] { return double(fl_psc_.misses(l)); });
    unit.formula(fmt::format("fl_psc_evictions_l{}", l),
                 fmt::format("Level-{} first-level paging-structure-cache entries evicted by fills", l), "Count",
                 [this, l] { return double(fl_psc_.evictions(l)); });
  }
}

// ---------------------------------------------------------------- invalidation

std::size_t TranslationEngine::invalidate_context(ContextGranularity g, std::uint16_t did, std::uint16_t sid,
                                                  unsigned fm) {
  ++inv_.cc_invalidations;
  std::size_t examined = 0, removed = 0;
  switch (g) {
    // (The PASID-entry cache follows the context cache for these scopes;
    // PASID-granular invalidation uses the PASID-cache descriptor.)
    case ContextGranularity::Global:
      removed = cc_.invalidate_global(&examined) + pasid_cache_.invalidate_global();
      break;
    case ContextGranularity::Domain:
      removed = cc_.invalidate_domain(did, &examined) + pasid_cache_.invalidate_domain(did);
      break;
    case ContextGranularity::Device:
      removed = cc_.invalidate_device(sid, fm, &examined) + pasid_cache_.invalidate_device(sid, fm);
      break;
    case ContextGranularity::Reserved:
      break;
  }
  inv_.entries_invalidated += removed;
  return examined;
}

std::size_t TranslationEngine::invalidate_iotlb(IotlbGranularity g, std::uint16_t did, Addr addr, unsigned am,
                                                bool ih) {
  ++inv_.iotlb_invalidations;
  std::size_t removed = 0, e1 = 0, e2 = 0, e3 = 0;
  switch (g) {
    case IotlbGranularity::Global:
      removed = iotlb_.invalidate_global(&e1) + psc_.invalidate_global(&e2) + fl_psc_.invalidate_global(&e3);
      break;
    case IotlbGranularity::Domain:
      removed = iotlb_.invalidate_domain(did, &e1) + psc_.invalidate_domain(did, &e2) +
                fl_psc_.invalidate_domain(did, &e3);
      break;
    case IotlbGranularity::Page:
      removed = iotlb_.invalidate_pages(did, addr, am, &e1);
      if (!ih) removed += psc_.invalidate_pages(did, addr, am, &e2) + fl_psc_.invalidate_pages(did, addr, am, &e3);
      break;
    case IotlbGranularity::Reserved:
      break;
  }
  inv_.entries_invalidated += removed;
  return e1 + e2 + e3;
}

std::size_t TranslationEngine::invalidate_pasid_iotlb(const QiDescriptor& d) {
  ++inv_.iotlb_invalidations;
  std::size_t removed = 0, e1 = 0, e2 = 0;
  if (d.piotlb_granularity == PasidIotlbGranularity::AllInPasid)
    removed = iotlb_.invalidate_pasid(d.did, d.pasid, &e1) + fl_psc_.invalidate_pasid(d.did, d.pasid, &e2);
  else
    removed = iotlb_.invalidate_pasid_pages(d.did, d.pasid, d.addr, d.am, &e1) +
              (d.ih ? 0 : fl_psc_.invalidate_pasid(d.did, d.pasid, &e2));
  inv_.entries_invalidated += removed;
  return e1 + e2;
}

std::size_t TranslationEngine::invalidate_pasid_cache(const QiDescriptor& d) {
  ++inv_.cc_invalidations;
  std::size_t removed = 0;
  switch (d.pc_granularity) {
    case PasidCacheGranularity::Domain:
      removed = pasid_cache_.invalidate_domain(d.did);
      break;
    case PasidCacheGranularity::Pasid:
      removed = pasid_cache_.invalidate_pasid(d.did, d.pasid);
      break;
    case PasidCacheGranularity::Global:
      removed = pasid_cache_.invalidate_global();
      break;
  }
  inv_.entries_invalidated += removed;
  return pasid_cache_.params().entries;
}

// ---------------------------------------------------------------- lookups and walks

UnitReader TranslationEngine::begin_walk(Tick t) {
  const Tick start = walkers_.acquire(t);
  stats_.walker_wait += start - t;
  return UnitReader(mem_, start, p_.memory_latency_ps, &payloads_);
}

Tick TranslationEngine::miss_walk_start(Tick t) {
  cur_walked_ = true;
  const Tick start = ordering_.of(cur_class_).walk_start(cur_sid_, cur_arrival_, t);
  if (start > t) stats_.miss_limit(cur_class_, start - t);
  return start;
}

Tick TranslationEngine::end_walk(const UnitReader& reader) {
  walkers_.occupy_until(reader.time());
  stats_.walk_reads += reader.reads();
  return reader.time();
}

SlWalkParams TranslationEngine::sl_params(Addr table, unsigned levels) const {
  SlWalkParams wp;
  wp.table = table;
  wp.levels = levels;
  wp.haw = p_.features.haw;
  wp.sp_2m = p_.features.sp_2m;
  wp.sp_1g = p_.features.sp_1g;
  wp.mgaw = p_.features.mgaw;
  wp.sc = p_.features.sc;
  wp.dt = p_.features.dt;
  return wp;
}

template <class Cache, class Key, class Entry, class TableLookup>
bool TranslationEngine::cached_lookup(Cache& cache, const Key& key, unsigned latency_cycles, Counter& hits,
                                      Counter& misses, Tick& t, Entry& entry, Outcome& out,
                                      TableLookup&& table_lookup) {
  t += cycle_ps_ * latency_cycles;
  Tick ready = 0;
  if (const Entry* hit = cache.lookup(key, &ready)) {
    ++hits;
    t = std::max(t, ready);
    entry = *hit;
    return true;
  }
  ++misses;
  ++stats_.context_walks;
  UnitReader reader = begin_walk(t);
  const RootTablePointer root = regs_.root_table().value_or(RootTablePointer{});
  const TableLookupResult<Entry> r = table_lookup(reader, root.address);
  t = end_walk(reader);
  if (!r.ok) {
    out.fault = r.fault;
    out.fpd = r.fpd;
    return false;
  }
  entry = r.entry;
  cache.insert(key, entry, t);
  return true;
}

bool TranslationEngine::context_of(std::uint16_t sid, Tick& t, ContextEntry& ce, Outcome& out) {
  return cached_lookup(cc_, sid, p_.context_cache.latency_cycles, stats_.cc_hits, stats_.cc_misses, t, ce, out,
                       [&](UnitReader& reader, Addr root) {
                         ContextCaps caps;
                         caps.sagaw = static_cast<std::uint8_t>(p_.features.sagaw);
                         caps.dt = p_.features.dt;
                         caps.pt = p_.features.pt;
                         const ContextLookup cl = lookup_legacy_context(reader, root, sid, p_.features.haw, caps);
                         return TableLookupResult<ContextEntry>{cl.ok, cl.fault, cl.fpd, cl.ce};
                       });
}

bool TranslationEngine::pasid_entry_of(const Request& q, Tick& t, PasidCacheEntry& pce, Outcome& out) {
  const PasidCacheKey key{q.sid, q.has_pasid, q.pasid};
  return cached_lookup(pasid_cache_, key, p_.pasid_cache.latency_cycles, stats_.pasid_hits, stats_.pasid_misses, t,
                       pce, out, [&](UnitReader& reader, Addr root) {
                         SmCaps caps;
                         caps.flts = p_.features.flts;
                         caps.slts = p_.features.slts;
                         caps.nest = p_.features.nest;
                         caps.pt = p_.features.pt;
                         caps.sagaw = static_cast<std::uint8_t>(p_.features.sagaw);
                         caps.fl5lp = p_.features.fl5lp;
                         const SmLookup sl =
                             lookup_scalable(reader, root, q.sid, q.has_pasid, q.pasid, p_.features.haw, caps);
                         return TableLookupResult<PasidCacheEntry>{sl.ok, sl.fault, sl.fpd,
                                                                   PasidCacheEntry{sl.pe, sl.pasid, sl.fpd}};
                       });
}

void TranslationEngine::walk(std::uint16_t did, Addr top, unsigned levels, std::uint32_t pasid, const Request& q,
                             Tick& t, Outcome& out) {
  const Addr iova = q.iova;
  t += cycle_ps_ * p_.psc.latency_cycles;
  PscHit hit{};
  const bool resumed = psc_.lookup(did, iova, levels, hit);
  if (resumed) {
    ++stats_.psc_hits;
    t = std::max(t, hit.ready);
  } else {
    ++stats_.psc_misses;
  }
  ++stats_.walks;
  t = miss_walk_start(t);
  UnitReader reader = begin_walk(t);
  const Tick start = reader.time();
  const SlWalkParams wp = sl_params(top, levels);
  // A translation request neither reads nor writes: the walk reports what the
  // entries grant (not present: R = W = 0) instead of a permission fault.
  const bool tr = q.at == AddressType::TranslationRequest;
  SlWalkRequest rq;
  rq.iova = iova;
  rq.write = q.write && !tr;
  rq.read = !q.write && !tr;
  rq.start_level = resumed ? hit.level - 1 : 0;
  rq.start_table = resumed ? hit.entry.table : 0;
  rq.start_r = resumed ? hit.entry.r : true;
  rq.start_w = resumed ? hit.entry.w : true;
  const SlWalkResult w = sl_walker_.walk(reader, wp, rq);
  t = end_walk(reader);
  stats_.reads_per_walk.sample(reader.reads());
  stats_.walk_latency.sample(t - start);

  // Fill the paging-structure caches with the non-leaf entries read, each with
  // the permissions accumulated from the top down to it.
  bool r = resumed ? hit.entry.r : true, wr = resumed ? hit.entry.w : true;
  for (const SlStep& st : w.steps) {
    const SlPte e = SlPte::decode(st.entry);
    if (!e.present() || SlPte::is_leaf(st.level, e.ps) || st.level < PagingStructureCache::kMinLevel) break;
    if (sl_reserved_mask(st.level, e.ps, p_.features.haw) & st.entry) break;
    r = r && e.r;
    wr = wr && e.w;
    psc_.insert(did, iova, st.level, {e.addr & haw_mask(p_.features.haw), r, wr}, t);
  }
  if (!w.ok) {
    out.fault = pasid == kNoPasid ? w.fault : sm_fault_from_sl(w.fault);
    // Caching mode (CAP.CM, VT-d 6.1): the unit may cache not-present
    // entries, so software must invalidate after making an entry present (a
    // virtual IOMMU traps those invalidations). Model that: a 4 KiB
    // no-permission entry answers the page until it is invalidated.
    const bool not_present = w.end_level >= 1 && !w.steps.empty() && !SlPte::decode(w.steps.back().entry).present();
    if (p_.features.cm && not_present)
      iotlb_.insert(did, iova, {iova & ~Addr(0xfff), 12, false, false}, t, pasid);
    return;
  }
  out.ok = true;
  out.pa = w.pa;
  out.r = w.r;
  out.w = w.w;
  if (!w.r && !w.w) return;  // a translation request to a not-present page
  const unsigned shift = log2_exact(w.page_size);
  out.shift = shift;
  iotlb_.insert(did, iova, {w.pa & ~(w.page_size - 1), static_cast<std::uint8_t>(shift), w.r, w.w}, t, pasid);
}

void TranslationEngine::walk_first_level(const PasidCacheEntry& pce, const Request& q, Tick& t, Outcome& out) {
  const PasidEntry& pe = pce.pe;
  ++stats_.walks;
  ++stats_.fl_walks;
  // First-level paging-structure caches (not for nested walks, whose cached
  // table pointers would have to be host-physical results of stage 2).
  const bool nested = pe.pgtt == kPgttNested;
  PscHit hit{};
  bool resumed = false;
  if (!nested) {
    t += cycle_ps_ * p_.fl_psc.latency_cycles;
    resumed = fl_psc_.lookup(pe.did, q.iova, pe.fl_levels(), hit, pce.pasid);
    if (resumed) {
      ++stats_.fl_psc_hits;
      t = std::max(t, hit.ready);
    }
  }
  t = miss_walk_start(t);
  UnitReader reader = begin_walk(t);
  const Tick start = reader.time();
  FlWalkParams fp;
  fp.table = pe.flptptr;
  fp.levels = pe.fl_levels();
  fp.haw = p_.features.haw;
  fp.sp_1g = p_.features.fl1gp;
  fp.sre = pe.sre;
  fp.ere = pe.ere;
  fp.wpe = pe.wpe;
  fp.nxe = pe.nxe;
  if (resumed) {
    fp.start_level = hit.level - 1;
    fp.start_table = hit.entry.table;
    fp.start_rw = hit.entry.w;
    fp.start_us = hit.entry.user;
    fp.start_xd = hit.entry.xd;
  }
  FlStage2 table_stage, output_stage;
  if (nested) {
    // Nested (VT-d 3.8): first-level table pointers and the output are
    // guest-physical, translated by the second-level tables of the entry.
    const SlWalkParams sp = sl_params(pe.slptptr, pe.sl_levels());
    table_stage = make_sl_stage2(reader, sp, false);
    output_stage = make_sl_stage2(reader, sp, q.write);
  }
  const FlWalkResult w =
      iommusim::walk_first_level(reader, fp, q.iova, q.write, q.exec, q.priv, table_stage, output_stage);
  t = end_walk(reader);
  stats_.reads_per_walk.sample(reader.reads());
  stats_.walk_latency.sample(t - start);
  if (!nested) {
    // Fill the first-level PSCs with the non-leaf entries read (with R/W, U/S
    // and XD accumulated from the top).
    bool rw = resumed ? hit.entry.w : true, us = resumed ? hit.entry.user : true;
    bool xd = resumed ? hit.entry.xd : false;
    FlCaps caps;
    caps.sp_1g = fp.sp_1g;
    caps.nxe = fp.nxe;
    for (const FlStep& st : w.steps) {
      const FlPte e = FlPte::decode(st.entry);
      if (!e.p || FlPte::is_leaf(st.level, e.ps) || st.level < PagingStructureCache::kMinLevel) break;
      if (fl_reserved_mask(st.level, e.ps, p_.features.haw, caps) & st.entry) break;
      rw = rw && e.rw;
      us = us && e.us;
      xd = xd || (fp.nxe && e.xd);
      fl_psc_.insert(pe.did, q.iova, st.level, {e.addr & haw_mask(p_.features.haw), true, rw, us, xd}, t, pce.pasid);
    }
  }
  if (!w.ok) {
    out.fault = w.fault;
    return;
  }
  out.ok = true;
  out.pa = w.pa;
  // What may be cached must hold for any later request to the page:
  //  * a supervisor write with WPE = 0 ignores R/W, so its W says nothing
  //    about user writes: not cached;
  //  * nested: the second level was checked for this access only, and its
  //    page size is not known here: a 4 KiB entry granting just this access.
  if (q.priv && q.write && !pe.wpe) return;
  IotlbEntry e{w.pa & ~(w.page_size - 1), static_cast<std::uint8_t>(log2_exact(w.page_size)), w.r, w.w, w.x, w.user};
  if (pe.pgtt == kPgttNested) e = {w.pa & ~Addr(0xfff), 12, !q.write && w.r, q.write && w.w, w.x, w.user};
  iotlb_.insert(pe.did, q.iova, e, t, pce.pasid);
}

void TranslationEngine::count_iotlb_miss(std::uint16_t did, std::uint16_t sid) {
  ++stats_.iotlb_misses;
  ++*scopes_.domain(did).iotlb_misses;
  ++*scopes_.device(sid).iotlb_misses;
}

// ---------------------------------------------------------------- translation

TranslationEngine::Outcome TranslationEngine::translate(const Request& q, Tick t) {
  cur_sid_ = q.sid;
  // Posted: memory writes (also translated ones, AT = 10b); non-posted: reads
  // and translation requests (AT = 01b, a read of the translation).
  cur_class_ = q.write && q.at != AddressType::TranslationRequest ? RequestClass::Posted : RequestClass::NonPosted;
  cur_arrival_ = t;
  cur_walked_ = false;
  const RootTablePointer root = regs_.root_table().value_or(RootTablePointer{});
  Outcome out = root.ttm == reg::kTtmScalable && p_.features.smts ? translate_scalable(q, t) : translate_legacy(q, t);
  // The requester's ordering rules for the request's class (a no-op with the
  // defaults; without class rules both classes share one rule set and state).
  const RequesterOrdering::Completion c = ordering_.of(cur_class_).complete(q.sid, t, cur_walked_, out.done);
  if (c.hit_wait > 0) stats_.hit_under_miss(cur_class_, c.hit_wait);
  if (c.order_wait > 0) stats_.in_order(cur_class_, c.order_wait);
  out.done = c.done;
  return out;
}

TranslationEngine::Outcome TranslationEngine::translate_legacy(const Request& q, Tick t) {
  Outcome out;
  t += cycle_ps_ * p_.pipeline_cycles;
  ContextEntry ce;
  if (!context_of(q.sid, t, ce, out)) {
    out.done = t;
    return out;
  }
  out.did = ce.did;
  out.did_known = true;
  out.fpd = ce.fpd;
  // Translation and translated requests (PCIe AT 01b/10b) are allowed only
  // with TT = 01b (Device-TLBs); otherwise they are blocked (VT-d 3.4.3,
  // fault 0xD).
  if (q.at != AddressType::Untranslated) {
    if (ce.tt != kTtDeviceTlb) {
      out.fault = FaultReason::kBlockedByTranslationType;
      out.done = t;
      return out;
    }
    if (q.at == AddressType::Translated) return forwarded(out, q.iova, t);  // translated by the device's ATC
  }
  const bool tr = q.at == AddressType::TranslationRequest;
  if (ce.tt == kTtPassThrough) {
    ++stats_.passthrough;
    return forwarded(out, q.iova, t);
  }
  t += cycle_ps_ * p_.iotlb.latency_cycles();
  Tick ready = 0;
  if (const IotlbEntry* e = iotlb_.lookup(ce.did, q.iova, &ready)) {
    stats_.iotlb_hit(e->shift);
    t = std::max(t, ready);
    out.done = t;
    out.r = e->r;
    out.w = e->w;
    out.shift = e->shift;
    // Permissions of the cached translation (VT-d 6.2.3: R/W as walked); a
    // translation request reports them instead.
    if (!tr && (q.write ? !e->w : !e->r)) {
      out.fault = q.write ? FaultReason::kWriteNoPermission : FaultReason::kReadNoPermission;
      return out;
    }
    out.ok = true;
    out.pa = e->frame | (q.iova & ((Addr(1) << e->shift) - 1));
    return out;
  }
  count_iotlb_miss(ce.did, q.sid);
  walk(ce.did, ce.slptptr, ce.levels(), kNoPasid, q, t, out);
  out.done = t;
  return out;
}

TranslationEngine::Outcome TranslationEngine::translate_scalable(const Request& q, Tick t) {
  // ATS in scalable mode (context DTE, PASID-granular device TLBs) is not
  // built: the platform builder refuses device TLBs and at=translated on a
  // unit with SMTS, so no such request gets here.
  if (q.at != AddressType::Untranslated)
    SC_REPORT_FATAL("/iommu/unit", "ATS request in scalable mode: not supported yet (the platform should have refused it)");
  Outcome out;
  t += cycle_ps_ * p_.pipeline_cycles;
  PasidCacheEntry pce;
  if (!pasid_entry_of(q, t, pce, out)) {
    out.done = t;
    return out;
  }
  const PasidEntry& pe = pce.pe;
  out.did = pe.did;
  out.did_known = true;
  out.fpd = pce.fpd;
  if (pe.pgtt == kPgttPassThrough) {
    ++stats_.passthrough;
    return forwarded(out, q.iova, t);
  }
  t += cycle_ps_ * p_.iotlb.latency_cycles();
  Tick ready = 0;
  if (const IotlbEntry* e = iotlb_.lookup(pe.did, q.iova, &ready, pce.pasid)) {
    // A cached translation that does not permit this access is walked again,
    // so that the fault reported is the one the tables give. Supervisor and
    // execute requests also need the PASID entry's SRE / ERE (first level).
    const bool fl = pe.uses_first_level();
    const bool ok = (q.write ? e->w : e->r) && (!q.exec || e->x) && (q.priv || e->user) &&
                    (!fl || !q.priv || pe.sre) && (!fl || !q.exec || pe.ere);
    if (ok) {
      stats_.iotlb_hit(e->shift);
      t = std::max(t, ready);
      out.ok = true;
      out.pa = e->frame | (q.iova & ((Addr(1) << e->shift) - 1));
      out.done = t;
      return out;
    }
  }
  count_iotlb_miss(pe.did, q.sid);
  if (pe.uses_first_level()) walk_first_level(pce, q, t, out);
  else walk(pe.did, pe.slptptr, pe.sl_levels(), pce.pasid, q, t, out);
  out.done = t;
  return out;
}

}  // namespace iommusim
