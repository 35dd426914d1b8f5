// A generic set-associative cache with a replacement policy: the storage behind
// the IOTLB, the context cache, the PASID cache, the paging-structure caches and
// the device TLBs. Plain C++ (no SystemC); the SystemC shells add timing and
// mirror the counters into the stats registry.
//
// * `entries` slots in `sets = entries / ways` sets of `ways` ways; ways = 0
//   means fully associative (one set of `entries` ways).
// * The set of a key is set_index(key) % sets, where set_index is a constructor
//   argument (the IOTLB indexes by page-number bits) defaulting to KeyHash.
// * Every entry carries the Tick at which its fill completes (`ready`): a line
//   being filled is already visible, so a second miss to the same page finds it
//   and waits for the first walk instead of walking again. The cache does not
//   compare `ready` with the current time; lookup() reports it to the caller.
// * Invalid ways are filled first, lowest index first; a full set evicts the
//   policy's victim (see replacement.h for the policies' exact semantics).
//
// Key and Value must be default constructible and move assignable; Key needs
// operator==. Pointers returned by lookup()/peek() stay valid until that entry
// is replaced, evicted or invalidated (the slot array never reallocates).
//
// Sets of more than kIndexedWays ways (large fully associative caches) keep a
// hash index Key -> slot, so that lookups do not scan the set; smaller sets are
// scanned.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/replacement.h"
#include "common/types.h"

namespace iommusim {

template <class Key, class Value, class KeyHash = std::hash<Key>>
class SetAssocCache {
 public:
  using SetIndexFn = std::function<std::size_t(const Key&)>;

  struct Evicted {
    Key key;
    Value value;
  };

  static constexpr std::size_t kIndexedWays = 16;

  // Throws std::invalid_argument:
  //   entries == 0             "cache needs at least 1 entry, got 0"
  //   entries % ways != 0      "cache ways (3) must divide entries (8)"
  //   plru, ways not 2^n       "plru needs a power-of-two number of ways, got 6"
  // (the caller adds the config path).
  SetAssocCache(std::size_t entries, std::size_t ways, ReplacementPolicy policy,
                std::uint64_t seed = 1, SetIndexFn set_index = {})
      : entries_(entries),
        ways_(checked_ways(entries, ways)),
        sets_(entries_ / ways_),
        repl_(policy, sets_, ways_, seed),
        set_index_(std::move(set_index)),
        slots_(entries_),
        set_valid_(sets_, 0) {
    if (indexed()) index_.reserve(entries_);
  }

  std::size_t entries() const { return entries_; }
  std::size_t ways() const { return ways_; }
  std::size_t sets() const { return sets_; }
  ReplacementPolicy policy() const { return repl_.policy(); }
  // Number of valid entries.
  std::size_t size() const { return size_; }

  // The set `key` maps to.
  std::size_t set_of(const Key& key) const {
    if (sets_ == 1) return 0;
    return reduce(set_index_ ? set_index_(key) : hash_(key));
  }

  // On a hit: counts a hit, updates the replacement state, stores the entry's
  // fill time in *ready (if given) and returns the value. On a miss: counts a
  // miss and returns nullptr.
  Value* lookup(const Key& key, Tick* ready = nullptr) {
    const std::size_t set = set_of(key);
    const std::size_t slot = find(set, key);
    if (slot == kNpos) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    repl_.touch(set, slot - set * ways_);
    if (ready) *ready = slots_[slot].ready;
    return &slots_[slot].value;
  }

  // Like lookup() but changes nothing (no counters, no replacement state).
  const Value* peek(const Key& key, Tick* ready = nullptr) const {
    const std::size_t slot = find(set_of(key), key);
    if (slot == kNpos) return nullptr;
    if (ready) *ready = slots_[slot].ready;
    return &slots_[slot].value;
  }

  bool contains(const Key& key) const { return peek(key) != nullptr; }

  // Writes an entry whose fill completes at `ready`. An existing entry with the
  // same key is rewritten in place (a touch for the policy); otherwise the
  // lowest invalid way of the set is filled; otherwise the policy's victim is
  // evicted and returned. Every call counts one fill.
  std::optional<Evicted> insert(const Key& key, Value value, Tick ready) {
    ++fills_;
    const std::size_t set = set_of(key);
    const std::size_t base = set * ways_;
    const std::size_t existing = find(set, key);
    if (existing != kNpos) {
      Slot& s = slots_[existing];
      s.value = std::move(value);
      s.ready = ready;
      repl_.touch(set, existing - base);
      return std::nullopt;
    }
    if (set_valid_[set] < ways_) {
      std::size_t way = 0;
      while (slots_[base + way].valid) ++way;
      place(set, way, key, std::move(value), ready);
      ++set_valid_[set];
      ++size_;
      return std::nullopt;
    }
    const std::size_t way = repl_.victim(set);
    Slot& s = slots_[base + way];
    if (indexed()) index_.erase(s.key);
    std::optional<Evicted> out(Evicted{std::move(s.key), std::move(s.value)});
    place(set, way, key, std::move(value), ready);
    ++evictions_;
    return out;
  }

  // Removes the entry for `key`; true if there was one.
  bool invalidate(const Key& key) {
    const std::size_t set = set_of(key);
    const std::size_t slot = find(set, key);
    if (slot == kNpos) return false;
    remove(set, slot - set * ways_);
    return true;
  }

  // Removes every valid entry for which pred(key, value) is true and returns
  // how many. If `examined` is given, it receives the number of valid entries
  // the predicate was asked about (for invalidation timing charged by what the
  // hardware walks over).
  template <class Pred>
  std::size_t invalidate_if(Pred pred, std::size_t* examined = nullptr) {
    std::size_t removed = 0;
    std::size_t seen = 0;
    for (std::size_t set = 0; set < sets_; ++set) {
      removed += invalidate_in_set(set, pred, &seen);
    }
    if (examined) *examined = seen;
    return removed;
  }

  // invalidate_if() restricted to one set (e.g. the set of a page for a
  // page-selective invalidation). `examined`, if given, is incremented.
  template <class Pred>
  std::size_t invalidate_in_set(std::size_t set, Pred pred, std::size_t* examined = nullptr) {
    std::size_t removed = 0;
    const std::size_t base = set * ways_;
    for (std::size_t way = 0; way < ways_ && set_valid_[set] > 0; ++way) {
      Slot& s = slots_[base + way];
      if (!s.valid) continue;
      if (examined) ++*examined;
      if (pred(static_cast<const Key&>(s.key), static_cast<const Value&>(s.value))) {
        remove(set, way);
        ++removed;
      }
    }
    return removed;
  }

  // Removes every entry (counted as invalidations) and resets the replacement
  // state (the random stream continues).
  void clear() {
    invalidations_ += size_;
    for (Slot& s : slots_) s = Slot{};
    std::fill(set_valid_.begin(), set_valid_.end(), std::size_t{0});
    index_.clear();
    size_ = 0;
    repl_.reset();
  }

  // f(const Key&, const Value&) for every valid entry, in slot order.
  template <class F>
  void for_each(F f) const {
    for (const Slot& s : slots_) {
      if (s.valid) f(s.key, s.value);
    }
  }

  // Counters since construction (or reset_counters()).
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }
  std::uint64_t fills() const { return fills_; }            // insert() calls
  std::uint64_t evictions() const { return evictions_; }    // valid entries evicted by insert()
  std::uint64_t invalidations() const { return invalidations_; }  // entries removed by invalidate*/clear
  void reset_counters() { hits_ = misses_ = fills_ = evictions_ = invalidations_ = 0; }

  // The policy state, for tests.
  const ReplacementState& replacement() const { return repl_; }

 private:
  static constexpr std::size_t kNpos = static_cast<std::size_t>(-1);

  struct Slot {
    Key key{};
    Value value{};
    Tick ready = 0;
    bool valid = false;
  };

  static std::size_t checked_ways(std::size_t entries, std::size_t ways) {
    if (entries == 0) throw std::invalid_argument("cache needs at least 1 entry, got 0");
    if (ways == 0) return entries;
    if (entries % ways != 0) {
      throw std::invalid_argument("cache ways (" + std::to_string(ways) +
                                  ") must divide entries (" + std::to_string(entries) + ")");
    }
    return ways;
  }

  bool indexed() const { return ways_ > kIndexedWays; }

  // x % sets_, as a mask when sets_ is a power of two (the same value
  // without a division).
  std::size_t reduce(std::size_t x) const { return set_mask_ != kNpos ? x & set_mask_ : x % sets_; }

  std::size_t find(std::size_t set, const Key& key) const {
    if (indexed()) {
      const auto it = index_.find(key);
      return it == index_.end() ? kNpos : it->second;
    }
    const std::size_t base = set * ways_;
    for (std::size_t slot = base; slot < base + ways_; ++slot) {
      if (slots_[slot].valid && slots_[slot].key == key) return slot;
    }
    return kNpos;
  }

  void place(std::size_t set, std::size_t way, const Key& key, Value&& value, Tick ready) {
    const std::size_t slot = set * ways_ + way;
    Slot& s = slots_[slot];
    s.key = key;
    s.value = std::move(value);
    s.ready = ready;
    s.valid = true;
    if (indexed()) index_.emplace(key, slot);
    repl_.fill(set, way);
  }

  void remove(std::size_t set, std::size_t way) {
    Slot& s = slots_[set * ways_ + way];
    if (indexed()) index_.erase(s.key);
    s.valid = false;
    --set_valid_[set];
    --size_;
    ++invalidations_;
    repl_.invalidate(set, way);
  }

  std::size_t entries_;
  std::size_t ways_;
  std::size_t sets_;
  std::size_t set_mask_ = (sets_ & (sets_ - 1)) == 0 ? sets_ - 1 : kNpos;  // kNpos: not a power of two
  ReplacementState repl_;
  SetIndexFn set_index_;
  KeyHash hash_{};
  std::vector<Slot> slots_;             // set * ways + way
  std::vector<std::size_t> set_valid_;  // valid entries per set
  std::unordered_map<Key, std::size_t, KeyHash> index_;  // only if indexed()
  std::size_t size_ = 0;

  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint64_t fills_ = 0;
  std::uint64_t evictions_ = 0;
  std::uint64_t invalidations_ = 0;
};

}  // namespace iommusim
