#include "host/iova_allocator.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace iommusim {

namespace {

constexpr uint64_t kAnchor = ~uint64_t{0};         // Linux IOVA_ANCHOR
constexpr uint64_t kDma32Pfn = uint64_t{1} << (32 - kIovaShift);  // first pfn above 4 GiB
constexpr uint64_t kMaxLimitPfn = (uint64_t{1} << (64 - kIovaShift)) - 1;

}  // namespace

unsigned iova_order(uint64_t pages) {
  unsigned n = 0;
  while (n < 63 && (uint64_t{1} << n) < pages) ++n;
  return n;
}

std::string IovaRange::str() const {
  return fmt::format("[{:#x}, {:#x})", addr(), addr() + bytes());
}

IovaAllocator::IovaAllocator(const IovaAllocatorParams& p)
    : p_(p), cached_key_(kAnchor), cached32_key_(kAnchor), max32_alloc_size_(kDma32Pfn),
      caches_(p.rcache_max_order + 1) {
  tree_.emplace(kAnchor, Node{kAnchor, Kind::Anchor, false});
}

uint64_t IovaAllocator::rounded_pages(uint64_t pages) const {
  const unsigned order = iova_order(pages);
  if (p_.round_all_sizes || order <= p_.rcache_max_order) return uint64_t{1} << order;
  return pages;
}

std::size_t IovaAllocator::cached_total() const {
  std::size_t n = 0;
  for (const auto& c : caches_) n += c.size();
  return n;
}

std::size_t IovaAllocator::cached(unsigned order) const {
  return order < caches_.size() ? caches_[order].size() : 0;
}

bool IovaAllocator::is_allocated(const IovaRange& r) const {
  auto it = tree_.find(r.pfn);
  return r.pages != 0 && it != tree_.end() && it->second.kind == Kind::Allocated &&
         !it->second.cached && it->second.pfn_hi == r.last_pfn();
}

std::vector<IovaRange> IovaAllocator::tree_ranges() const {
  std::vector<IovaRange> v;
  for (const auto& [lo, n] : tree_)
    if (n.kind != Kind::Anchor) v.push_back(IovaRange{lo, n.pfn_hi - lo + 1});
  return v;
}

std::optional<IovaRange> IovaAllocator::alloc(uint64_t pages, uint64_t limit_pfn, bool flush_rcache) {
  if (pages == 0) throw std::invalid_argument("IOVA allocation of 0 pages");
  limit_pfn = std::min(limit_pfn, kMaxLimitPfn);
  const uint64_t size = rounded_pages(pages);
  const unsigned order = iova_order(size);
  const bool cacheable = p_.rcache_capacity > 0 && order <= p_.rcache_max_order;
  if (cacheable) {
    if (auto r = cache_pop(order, limit_pfn)) {
      ++stats_.cache_hits;
      ++stats_.allocations;
      return r;
    }
    ++stats_.cache_misses;
  }
  auto r = alloc_tree(size, limit_pfn + 1);
  if (!r && flush_rcache && cached_total() > 0) {
    // alloc_iova_fast(): give back every cached range and try once more.
    // (Linux also retries when the caches were empty; that search could only
    // fail again, so it is skipped here.)
    ++stats_.cache_flushes;
    flush_caches();
    r = alloc_tree(size, limit_pfn + 1);
  }
  if (r) {
    ++stats_.allocations;
    ++stats_.tree_allocs;
  } else {
    ++stats_.failures;
  }
  return r;
}

std::optional<IovaRange> IovaAllocator::cache_pop(unsigned order, uint64_t limit_pfn) {
  auto& c = caches_[order];
  const uint64_t size = uint64_t{1} << order;
  // The newest range that lies below the limit (iova_magazine_pop()); the top
  // entry fills the hole it leaves.
  for (std::size_t i = c.size(); i-- > 0;) {
    const uint64_t pfn = c[i];
    if (pfn + size - 1 > limit_pfn) continue;
    c[i] = c.back();
    c.pop_back();
    tree_.at(pfn).cached = false;
    return IovaRange{pfn, size};
  }
  return std::nullopt;
}

IovaAllocator::Tree::iterator IovaAllocator::find_limit(uint64_t limit_excl) {
  // iova_find_limit(): above 4 GiB start from the anchor; below, from the
  // lowest range at or above the limit.
  if (limit_excl > kDma32Pfn) return tree_.find(kAnchor);
  return tree_.lower_bound(limit_excl);
}

std::optional<IovaRange> IovaAllocator::alloc_tree(uint64_t size, uint64_t limit_excl) {
  if (limit_excl <= kDma32Pfn && size >= max32_alloc_size_) {
    ++stats_.max32_fast_fails;
    return std::nullopt;
  }
  auto curr = tree_.find(limit_excl <= kDma32Pfn ? cached32_key_ : cached_key_);
  if (curr == tree_.end()) throw std::logic_error("IOVA allocator: cached node lost");  // never: kept by tree_free()
  const uint64_t retry_pfn = curr->second.pfn_hi;
  const uint64_t align_mask = ~uint64_t{0} << iova_order(size);
  uint64_t high = limit_excl, low = p_.start_pfn, new_pfn = 0;
  bool retried = false;
  for (;;) {
    // Walk down from `curr`: each step tries the highest aligned block below
    // the current node and stops at the first gap it fits in.
    bool more = false;
    do {
      high = std::min(high, curr->first);
      new_pfn = (high - size) & align_mask;  // wraps when high < size: caught below
      ++stats_.search_steps;
      more = curr != tree_.begin();
      if (more) --curr;
    } while (more && new_pfn <= curr->second.pfn_hi && new_pfn >= low);

    if (high >= size && new_pfn >= low) break;
    if (!retried && low == p_.start_pfn && retry_pfn < limit_excl) {
      // Nothing below the cached node: search the space above it once.
      retried = true;
      ++stats_.search_retries;
      high = limit_excl;
      low = retry_pfn + 1;
      curr = find_limit(limit_excl);
      continue;
    }
    // Linux records the failed size whatever the limit was.
    max32_alloc_size_ = size;
    return std::nullopt;
  }
  const uint64_t hi = new_pfn + size - 1;
  tree_.emplace(new_pfn, Node{hi, Kind::Allocated, false});
  // __cached_rbnode_insert_update()
  if (hi < kDma32Pfn)
    cached32_key_ = new_pfn;
  else
    cached_key_ = new_pfn;
  return IovaRange{new_pfn, size};
}

void IovaAllocator::tree_free(Tree::iterator it) {
  // __cached_rbnode_delete_update(): a cached node at or below the freed
  // range moves to the range above it, so the next search starts there.
  const uint64_t lo = it->first, hi = it->second.pfn_hi;
  const uint64_t next_key = std::next(it)->first;  // the anchor is always above
  // (A cached key of kAnchor compares above every range, as Linux's anchor.)
  if (lo == cached32_key_ || (hi < kDma32Pfn && lo >= cached32_key_)) cached32_key_ = next_key;
  if (lo < kDma32Pfn) max32_alloc_size_ = kDma32Pfn;
  if (lo >= cached_key_) cached_key_ = next_key;
  tree_.erase(it);
  ++stats_.tree_frees;
}

void IovaAllocator::free(const IovaRange& r) {
  auto it = tree_.find(r.pfn);
  const char* why = nullptr;
  if (r.pages == 0)
    why = "empty range";
  else if (it == tree_.end() || it->second.kind == Kind::Anchor)
    why = "not allocated";
  else if (it->second.kind == Kind::Reserved)
    why = "reserved, not allocated";
  else if (it->second.cached)
    why = "already freed (in the IOVA cache)";
  else if (it->second.pfn_hi != r.last_pfn())
    why = "size differs from the allocation";
  if (why) {
    std::string msg = fmt::format("IOVA free of {}: {}", r.str(), why);
    if (it != tree_.end() && it->second.kind == Kind::Allocated && !it->second.cached &&
        it->second.pfn_hi != r.last_pfn())
      msg += fmt::format(" {}", IovaRange{it->first, it->second.pfn_hi - it->first + 1}.str());
    throw std::logic_error(msg);
  }
  ++stats_.frees;
  const unsigned order = iova_order(r.pages);
  if (p_.rcache_capacity > 0 && order <= p_.rcache_max_order && r.pages == (uint64_t{1} << order)) {
    auto& c = caches_[order];
    if (c.size() < p_.rcache_capacity) {
      c.push_back(r.pfn);
      it->second.cached = true;
      ++stats_.cache_inserts;
      return;
    }
    ++stats_.cache_full;
  }
  tree_free(it);
}

void IovaAllocator::flush_caches() {
  for (auto& c : caches_) {
    for (uint64_t pfn : c) {
      auto it = tree_.find(pfn);
      it->second.cached = false;
      tree_free(it);
    }
    c.clear();
  }
}

void IovaAllocator::reserve(uint64_t pfn_lo, uint64_t pfn_hi) {
  if (pfn_lo > pfn_hi || pfn_hi >= kAnchor)
    throw std::logic_error(fmt::format("IOVA reserve of pfns {:#x}..{:#x}: empty range", pfn_lo, pfn_hi));
  auto it = tree_.upper_bound(pfn_hi);
  if (it != tree_.begin() && std::prev(it)->second.pfn_hi >= pfn_lo) {
    const auto& o = *std::prev(it);
    throw std::logic_error(fmt::format("IOVA reserve of {}: overlaps {}",
                                       IovaRange{pfn_lo, pfn_hi - pfn_lo + 1}.str(),
                                       IovaRange{o.first, o.second.pfn_hi - o.first + 1}.str()));
  }
  tree_.emplace(pfn_lo, Node{pfn_hi, Kind::Reserved, false});
}

void IovaAllocator::claim(const IovaRange& r) {
  if (r.pages == 0 || r.pfn < p_.start_pfn || r.last_pfn() >= kAnchor || r.last_pfn() < r.pfn)
    throw std::logic_error(fmt::format("IOVA claim of {}: outside the allocatable space", r.str()));
  const auto overlap = [&]() -> Tree::iterator {
    auto it = tree_.upper_bound(r.last_pfn());
    if (it != tree_.begin() && std::prev(it)->second.pfn_hi >= r.pfn) return std::prev(it);
    return tree_.end();
  };
  auto o = overlap();
  if (o != tree_.end() && o->second.cached) {
    flush_caches();
    o = overlap();
  }
  if (o != tree_.end())
    throw std::logic_error(fmt::format("IOVA claim of {}: overlaps {} ({})", r.str(),
                                       IovaRange{o->first, o->second.pfn_hi - o->first + 1}.str(),
                                       o->second.kind == Kind::Reserved ? "reserved" : "allocated"));
  tree_.emplace(r.pfn, Node{r.last_pfn(), Kind::Allocated, false});
  ++stats_.allocations;
}

}  // namespace iommusim
