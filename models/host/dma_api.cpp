#include "host/dma_api.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace iommusim {

namespace {

constexpr Addr kPageMask = 0xfff;
constexpr uint64_t kPfn32Limit = kDmaMask32 >> kIovaShift;  // 0xfffff
constexpr uint64_t kMsiFirstPfn = 0xfee00, kMsiLastPfn = 0xfeeff;  // IOAPIC_RANGE_START..END

}  // namespace

DmaApi::DmaApi(const DmaApiParams& p)
    : p_(p), pool_(p.table_pool_base, p.table_pool_bytes), fq_(p.flush) {}

DmaApi::~DmaApi() = default;

DomainId DmaApi::create_domain(DomainType type, uint16_t did) {
  if (by_did_.count(did))
    throw std::invalid_argument(fmt::format("domain-id {} is already used by domain {}", did, by_did_.at(did)));
  auto dom = std::make_unique<Domain>();
  dom->type = type;
  dom->did = did;
  if (type == DomainType::Dma || type == DomainType::Unmanaged) {
    dom->pt = std::make_unique<DomainPageTable>(p_.page_table, pool_);
    if (!dom->pt->root_writes().empty())
      throw std::logic_error("a fresh domain's top-level table came from a recycled page");
  }
  if (type == DomainType::Dma) {
    dom->iova = std::make_unique<IovaAllocator>(p_.iova);
    if (p_.reserve_msi_window) dom->iova->reserve(kMsiFirstPfn, kMsiLastPfn);
  }
  const DomainId id = static_cast<DomainId>(domains_.size());
  domains_.push_back(std::move(dom));
  by_did_[did] = id;
  return id;
}

DmaApi::Domain& DmaApi::domain(DomainId d, const char* op) {
  if (d >= domains_.size()) throw std::invalid_argument(fmt::format("{}: no domain {}", op, d));
  return *domains_[d];
}

const DmaApi::Domain& DmaApi::domain(DomainId d) const {
  if (d >= domains_.size()) throw std::invalid_argument(fmt::format("no domain {}", d));
  return *domains_[d];
}

DmaApi::Device& DmaApi::device(const Bdf& dev, const char* op) {
  auto it = devices_.find(dev);
  if (it == devices_.end())
    throw std::invalid_argument(fmt::format("{} for {}: the device is not attached to a domain", op, dev.str()));
  return it->second;
}

void DmaApi::attach(const Bdf& dev, DomainId d, uint64_t dma_mask) {
  domain(d, "attach");
  if (dma_mask < kPageMask)
    throw std::invalid_argument(fmt::format("attach {}: DMA mask {:#x} is below one page", dev.str(), dma_mask));
  auto it = devices_.find(dev);
  if (it != devices_.end() && it->second.domain != d &&
      std::any_of(domains_[it->second.domain]->live.begin(), domains_[it->second.domain]->live.end(),
                  [&](const auto& kv) { return kv.second.dev == dev; }))
    throw std::logic_error(fmt::format("attach {} to domain {}: it still has DMA mappings in domain {}", dev.str(),
                                       d, it->second.domain));
  Device& v = devices_[dev];
  v.domain = d;
  v.dma_mask = dma_mask;
  v.try_32bit = !p_.forcedac;
}

ContextEntry DmaApi::context_entry(const Bdf& dev) const {
  auto it = devices_.find(dev);
  if (it == devices_.end())
    throw std::invalid_argument(fmt::format("context entry for {}: the device is not attached", dev.str()));
  const Domain& dom = domain(it->second.domain);
  ContextEntry ce;
  ce.did = dom.did;
  switch (dom.type) {
    case DomainType::Blocked:
      ce.present = false;
      break;
    case DomainType::Identity:
      ce.present = true;
      ce.tt = kTtPassThrough;
      break;
    case DomainType::Dma:
    case DomainType::Unmanaged:
      ce.present = true;
      ce.tt = kTtUntranslatedOnly;
      ce.slptptr = dom.pt->root();
      ce.aw = static_cast<uint8_t>(dom.pt->levels() - 2);
      break;
  }
  return ce;
}

void DmaApi::emit_cpu(CpuCost c, double ns, DriverActions& out) {
  if (ns <= 0) return;
  out.push_back(DriverAction::cpu_time(c, ticks_from_ns(ns)));
}

void DmaApi::emit_writes(const PteWrites& w, DriverActions& out) {
  for (const PteWrite x : w) out.push_write(x.pa, x.value);
  stats_.writes += w.size();
}

void DmaApi::emit_invalidation(const IotlbFlush& f, DriverActions& out) {
  out.push_back(DriverAction::invalidate(f));
  ++stats_.invalidations;
}

void DmaApi::emit_flush(FlushActions&& fa, DriverActions& out) {
  if (!fa.invalidations.empty()) {
    for (const auto& f : fa.invalidations) emit_invalidation(f, out);
    out.push_back(DriverAction::wait());
    ++stats_.waits;
    emit_cpu(CpuCost::InvalidationWait, p_.inv_wait_cpu_ns, out);
  }
  for (auto& r : fa.releases) {
    Domain& dom = *domains_.at(by_did_.at(r.did));
    if (!r.alloc.empty()) {
      dom.iova->free(r.alloc);
      out.push_back(DriverAction::free_iova(r.did, r.alloc));
      ++stats_.iova_frees;
    }
    if (!r.freed_tables.empty()) {
      dom.pt->release_tables(r.freed_tables);
      stats_.table_releases += r.freed_tables.size();
      out.push_back(DriverAction::release_tables(r.did, std::move(r.freed_tables)));
    }
  }
}

void DmaApi::emit_map_side_effects(Domain& dom, const PtMapResult& r, Addr iova, uint64_t bytes,
                                   DriverActions& out) {
  emit_writes(r.writes, out);
  FlushActions fa;
  if (r.flush) {
    // Empty tables replaced by superpages: invalidated before map returns
    // (switch_to_super_page()), then their pages are free.
    fa.invalidations.push_back(flush_for_range(dom.did, r.flush->iova, r.flush->bytes, false, p_.flush.caps));
    fa.releases.push_back(Release{dom.did, IovaRange{}, r.freed_tables, 0});
  }
  if (p_.caching_mode) {
    // A caching-mode unit may cache not-present entries: invalidate the new
    // range too (intel_iommu_iotlb_sync_map()).
    fa.invalidations.push_back(flush_for_range(dom.did, iova, bytes, false, p_.flush.caps));
  }
  emit_flush(std::move(fa), out);
}

DmaMapResult DmaApi::map(const Bdf& dev, Addr pa, uint64_t size, DmaDirection dir) {
  Device& v = device(dev, "map");
  Domain& dom = *domains_[v.domain];
  if (size == 0) throw std::invalid_argument(fmt::format("map for {}: size 0", dev.str()));
  DmaMapResult res;
  switch (dom.type) {
    case DomainType::Blocked:
      throw std::logic_error(fmt::format("map for {}: domain {} (DID {}) is blocked; DMA is not allowed",
                                         dev.str(), v.domain, dom.did));
    case DomainType::Unmanaged:
      throw std::logic_error(fmt::format(
          "map for {}: domain {} (DID {}) is unmanaged; its user maps fixed IOVAs (map_fixed)", dev.str(),
          v.domain, dom.did));
    case DomainType::Identity:
      emit_cpu(CpuCost::Map, p_.map_cpu_ns, res.actions);
      if (size - 1 > v.dma_mask || pa > v.dma_mask - (size - 1)) {
        res.error = fmt::format("map for {}: [{:#x}, {:#x}) is beyond the DMA mask {:#x} (bounce buffers are not modelled)",
                                dev.str(), pa, pa + size, v.dma_mask);
        ++stats_.map_failures;
        return res;
      }
      res.ok = true;
      res.dma_addr = pa;
      ++stats_.maps;
      ++stats_.identity_maps;
      stats_.bytes_mapped += size;
      return res;
    case DomainType::Dma:
      break;
  }

  emit_cpu(CpuCost::Map, p_.map_cpu_ns, res.actions);
  const Addr offset = pa & kPageMask;
  const uint64_t pages = (offset + size + kPageMask) >> kIovaShift;
  const uint64_t limit = std::min<uint64_t>(v.dma_mask, dom.pt->aperture_bytes() - 1) >> kIovaShift;
  // iommu_dma_alloc_iova(): a 64-bit device first tries below 4 GiB, and
  // stops trying for good the first time that fails.
  std::optional<IovaRange> iova;
  if (v.try_32bit && limit > kPfn32Limit) {
    iova = dom.iova->alloc(pages, kPfn32Limit, false);
    if (!iova) {
      v.try_32bit = false;
      ++stats_.dac_fallbacks;
    }
  }
  if (!iova) iova = dom.iova->alloc(pages, limit, true);
  if (!iova) {
    res.error = fmt::format("map for {}: IOVA space exhausted ({} pages below {:#x})", dev.str(), pages,
                            (limit + 1) << kIovaShift);
    ++stats_.map_failures;
    return res;
  }
  const bool r = dir != DmaDirection::FromDevice, w = dir != DmaDirection::ToDevice;
  PtMapResult m;
  try {
    m = dom.pt->map(iova->addr(), pa - offset, pages << kIovaShift, r, w);
  } catch (const TablePoolExhausted& e) {
    dom.iova->free(*iova);
    res.error = fmt::format("map for {}: {}", dev.str(), e.what());
    ++stats_.map_failures;
    return res;
  }
  emit_map_side_effects(dom, m, iova->addr(), pages << kIovaShift, res.actions);
  dom.live[iova->pfn] = Mapping{*iova, pages, dev};
  res.ok = true;
  res.dma_addr = iova->addr() + offset;
  ++stats_.maps;
  stats_.bytes_mapped += size;
  return res;
}

DriverActions DmaApi::unmap(Tick now, const Bdf& dev, Addr dma_addr, uint64_t size) {
  Device& v = device(dev, "unmap");
  Domain& dom = *domains_[v.domain];
  if (size == 0) throw std::invalid_argument(fmt::format("unmap for {}: size 0", dev.str()));
  DriverActions out;
  switch (dom.type) {
    case DomainType::Blocked:
    case DomainType::Unmanaged:
      throw std::logic_error(fmt::format("unmap for {}: domain {} (DID {}) is {}; it has no DMA-API mappings",
                                         dev.str(), v.domain, dom.did, to_string(dom.type)));
    case DomainType::Identity:
      emit_cpu(CpuCost::Unmap, p_.unmap_cpu_ns, out);
      ++stats_.unmaps;
      return out;
    case DomainType::Dma:
      break;
  }
  const Addr offset = dma_addr & kPageMask, base = dma_addr - offset;
  const uint64_t pages = (offset + size + kPageMask) >> kIovaShift;
  auto it = dom.live.find(base >> kIovaShift);
  if (it == dom.live.end())
    throw std::logic_error(fmt::format("unmap for {} of [{:#x}, {:#x}): no DMA mapping starts at IOVA {:#x}",
                                       dev.str(), dma_addr, dma_addr + size, base));
  if (it->second.pages != pages)
    throw std::logic_error(fmt::format("unmap for {} of [{:#x}, {:#x}): {} pages, but the mapping at {:#x} has {}",
                                       dev.str(), dma_addr, dma_addr + size, pages, base, it->second.pages));
  emit_cpu(CpuCost::Unmap, p_.unmap_cpu_ns, out);
  PtUnmapResult u = dom.pt->unmap(base, pages << kIovaShift);
  emit_writes(u.writes, out);
  UnmapNotice n;
  n.did = dom.did;
  n.iova = base;
  n.bytes = pages << kIovaShift;
  n.leaf_only = u.flush.leaf_only;
  n.alloc = it->second.alloc;
  n.freed_tables = std::move(u.freed_tables);
  dom.live.erase(it);
  emit_flush(fq_.on_unmap(now, std::move(n)), out);
  ++stats_.unmaps;
  return out;
}

DriverActions DmaApi::map_fixed(DomainId d, Addr iova, Addr pa, uint64_t size, DmaPerm perm) {
  Domain& dom = domain(d, "map_fixed");
  if (dom.type != DomainType::Unmanaged)
    throw std::logic_error(fmt::format("map_fixed in domain {} (DID {}): the domain is {}, not unmanaged", d,
                                       dom.did, to_string(dom.type)));
  DriverActions out;
  emit_cpu(CpuCost::Map, p_.map_cpu_ns, out);
  const PtMapResult m = dom.pt->map(iova, pa, size, perm.r, perm.w);
  emit_map_side_effects(dom, m, iova, size, out);
  ++stats_.fixed_maps;
  return out;
}

DriverActions DmaApi::unmap_fixed(DomainId d, Addr iova, uint64_t size) {
  Domain& dom = domain(d, "unmap_fixed");
  if (dom.type != DomainType::Unmanaged)
    throw std::logic_error(fmt::format("unmap_fixed in domain {} (DID {}): the domain is {}, not unmanaged", d,
                                       dom.did, to_string(dom.type)));
  DriverActions out;
  emit_cpu(CpuCost::Unmap, p_.unmap_cpu_ns, out);
  PtUnmapResult u = dom.pt->unmap(iova, size);
  emit_writes(u.writes, out);
  if (u.unmapped_bytes || !u.freed_tables.empty()) {
    // iommu_unmap() always syncs: strict whatever iommu.strict says.
    FlushActions fa;
    fa.invalidations.push_back(flush_for_range(dom.did, iova, size, u.flush.leaf_only, p_.flush.caps));
    fa.releases.push_back(Release{dom.did, IovaRange{}, std::move(u.freed_tables), 0});
    emit_flush(std::move(fa), out);
  }
  ++stats_.fixed_unmaps;
  return out;
}

DomainId DmaApi::domain_of(const Bdf& dev) const {
  auto it = devices_.find(dev);
  if (it == devices_.end()) throw std::invalid_argument(fmt::format("{} is not attached to a domain", dev.str()));
  return it->second.domain;
}

DriverActions DmaApi::map_at(const Bdf& dev, Addr iova, Addr pa, uint64_t size, DmaPerm perm) {
  Device& v = device(dev, "map");
  Domain& dom = *domains_[v.domain];
  if (size == 0) throw std::invalid_argument(fmt::format("map for {}: size 0", dev.str()));
  if ((iova & kPageMask) != (pa & kPageMask))
    throw std::invalid_argument(fmt::format("map for {}: IOVA {:#x} and address {:#x} differ in their page offset",
                                            dev.str(), iova, pa));
  if (iova + (size - 1) < iova || pa + (size - 1) < pa)
    throw std::invalid_argument(fmt::format("map for {}: [{:#x}, +{:#x}) wraps around", dev.str(), iova, size));
  DriverActions out;
  switch (dom.type) {
    case DomainType::Blocked:
      throw std::logic_error(fmt::format("map for {}: domain {} (DID {}) is blocked; DMA is not allowed",
                                         dev.str(), v.domain, dom.did));
    case DomainType::Unmanaged:
      return map_fixed(v.domain, iova, pa, size, perm);
    case DomainType::Identity:
      if (iova != pa)
        throw std::logic_error(fmt::format("map for {}: the device is in an identity (pass-through) domain, where "
                                           "the DMA address is the physical address; IOVA {:#x} != {:#x}",
                                           dev.str(), iova, pa));
      emit_cpu(CpuCost::Map, p_.map_cpu_ns, out);
      ++stats_.maps;
      ++stats_.identity_maps;
      stats_.bytes_mapped += size;
      return out;
    case DomainType::Dma:
      break;
  }
  const Addr offset = iova & kPageMask;
  const uint64_t pages = (offset + size + kPageMask) >> kIovaShift;
  const IovaRange range{iova >> kIovaShift, pages};
  if (((range.last_pfn() + 1) << kIovaShift) - 1 > std::min<uint64_t>(v.dma_mask, dom.pt->aperture_bytes() - 1))
    throw std::logic_error(fmt::format("map for {}: IOVA range {} is beyond the device's DMA mask {:#x} or the "
                                       "domain's {} address bits", dev.str(), range.str(), v.dma_mask,
                                       9 * dom.pt->levels() + 12));
  try {
    dom.iova->claim(range);
  } catch (const std::logic_error& e) {
    throw std::logic_error(fmt::format("map for {}: {}", dev.str(), e.what()));
  }
  emit_cpu(CpuCost::Map, p_.map_cpu_ns, out);
  PtMapResult m;
  try {
    m = dom.pt->map(range.addr(), pa - offset, range.bytes(), perm.r, perm.w);
  } catch (const TablePoolExhausted& e) {
    dom.iova->free(range);
    throw std::logic_error(fmt::format("map for {}: {}", dev.str(), e.what()));
  } catch (...) {
    dom.iova->free(range);  // no leak of the claim, whatever the page table refused
    throw;
  }
  emit_map_side_effects(dom, m, range.addr(), range.bytes(), out);
  dom.live[range.pfn] = Mapping{range, pages, dev};
  ++stats_.maps;
  stats_.bytes_mapped += size;
  return out;
}

DriverActions DmaApi::unmap_at(Tick now, const Bdf& dev, Addr iova, uint64_t size) {
  const DomainId d = device(dev, "unmap").domain;
  if (domains_[d]->type == DomainType::Unmanaged) {
    if (size == 0) throw std::invalid_argument(fmt::format("unmap for {}: size 0", dev.str()));
    const Addr base = iova & ~kPageMask;
    return unmap_fixed(d, base, ((iova & kPageMask) + size + kPageMask) & ~kPageMask);
  }
  return unmap(now, dev, iova, size);
}

DriverActions DmaApi::map_direct(DomainId d, Addr base, uint64_t size) {
  Domain& dom = domain(d, "map_direct");
  if ((base & kPageMask) || (size & kPageMask) || size == 0 || base + (size - 1) < base)
    throw std::invalid_argument(
        fmt::format("direct map [{:#x}, +{:#x}): not a non-empty 4 KiB aligned range", base, size));
  DriverActions out;
  if (dom.type == DomainType::Identity || dom.type == DomainType::Blocked) return out;
  if (base + (size - 1) > dom.pt->aperture_bytes() - 1)
    throw std::logic_error(fmt::format("direct map [{:#x}, +{:#x}) in domain {} (DID {}): beyond the domain's {} "
                                       "address bits", base, size, d, dom.did, 9 * dom.pt->levels() + 12));
  if (dom.type == DomainType::Dma) dom.iova->reserve(base >> kIovaShift, (base + size - 1) >> kIovaShift);
  const PtMapResult m = dom.pt->map(base, base, size, true, true);
  emit_map_side_effects(dom, m, base, size, out);
  ++stats_.direct_maps;
  return out;
}

DriverActions DmaApi::on_time(Tick now) {
  DriverActions out;
  emit_flush(fq_.on_time(now), out);
  return out;
}

DriverActions DmaApi::drain(Tick now) {
  DriverActions out;
  emit_flush(fq_.drain(now), out);
  return out;
}

std::optional<Tick> DmaApi::next_deadline() const { return fq_.next_deadline(); }

DomainType DmaApi::domain_type(DomainId d) const { return domain(d).type; }
uint16_t DmaApi::domain_did(DomainId d) const { return domain(d).did; }
const DomainPageTable* DmaApi::page_table(DomainId d) const { return domain(d).pt.get(); }
const IovaAllocator* DmaApi::iova_allocator(DomainId d) const { return domain(d).iova.get(); }
std::size_t DmaApi::live_mappings(DomainId d) const { return domain(d).live.size(); }

bool DmaApi::tries_32bit_first(const Bdf& dev) const {
  auto it = devices_.find(dev);
  return it != devices_.end() && it->second.try_32bit;
}

const char* to_string(DomainType t) {
  switch (t) {
    case DomainType::Identity: return "identity";
    case DomainType::Dma: return "dma";
    case DomainType::Unmanaged: return "unmanaged";
    case DomainType::Blocked: return "blocked";
  }
  return "?";
}

const char* to_string(DmaDirection d) {
  switch (d) {
    case DmaDirection::ToDevice: return "to_device";
    case DmaDirection::FromDevice: return "from_device";
    case DmaDirection::Bidirectional: return "bidirectional";
  }
  return "?";
}

}  // namespace iommusim
