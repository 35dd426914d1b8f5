// A sequence of two-field records (each field a uint64_t) stored as runs of
// arithmetic progressions: a record that continues the last run (each field
// advanced by the run's stride, the same for every step) extends it instead
// of taking space of its own. The page-table stores of a large map are such
// a sequence (entry address +8, leaf value +4 KiB per page): a 1 GiB map of
// 4 KiB pages is a few runs per 512 entries instead of 262,144 records
// (issue 15, docs/performance.md, "Issue 15: memory per mapped page").
//
// It behaves as a read-only sequence of T (size, indexing, iteration in
// order, front/back, comparison with a std::vector<T>); only push_back adds.
// Arithmetic is modulo 2^64, so any strides (also "negative") are exact.
// A run's strides are fixed by its second record.
//
// T: a struct with two uint64_t members named by A and B, constructible as
// T{a, b}. Plain C++, no SystemC.
#pragma once
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

namespace iommusim {

template <class T, uint64_t T::*A, uint64_t T::*B>
class StridedRuns {
 public:
  struct Run {
    uint64_t a = 0, b = 0;    // the first record
    uint64_t da = 0, db = 0;  // strides (0 while the run has one record)
    std::size_t start = 0;    // index of the first record in the sequence
    std::size_t count = 0;    // records in the run
    T at(std::size_t i) const { return T{a + da * i, b + db * i}; }
  };

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = T;

    const_iterator() = default;
    T operator*() const { return (*runs_)[run_].at(off_); }
    const_iterator& operator++() {
      if (++off_ == (*runs_)[run_].count) {
        ++run_;
        off_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const const_iterator& o) const { return run_ == o.run_ && off_ == o.off_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class StridedRuns;
    const_iterator(const std::vector<Run>* runs, std::size_t run, std::size_t off)
        : runs_(runs), run_(run), off_(off) {}
    const std::vector<Run>* runs_ = nullptr;
    std::size_t run_ = 0, off_ = 0;
  };
  using value_type = T;
  using iterator = const_iterator;

  void push_back(const T& x) {
    const uint64_t a = x.*A, b = x.*B;
    if (!runs_.empty()) {
      Run& r = runs_.back();
      if (r.count == 1) {
        r.da = a - r.a;
        r.db = b - r.b;
        ++r.count;
        ++size_;
        return;
      }
      if (a == r.a + r.da * r.count && b == r.b + r.db * r.count) {
        ++r.count;
        ++size_;
        return;
      }
    }
    runs_.push_back(Run{a, b, 0, 0, size_, 1});
    ++size_;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    runs_.clear();
    size_ = 0;
  }

  // O(log runs).
  T operator[](std::size_t i) const {
    std::size_t lo = 0, hi = runs_.size();  // the run holding i is in [lo, hi)
    while (hi - lo > 1) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (runs_[mid].start <= i) lo = mid; else hi = mid;
    }
    return runs_[lo].at(i - runs_[lo].start);
  }
  T front() const { return runs_.front().at(0); }
  T back() const { return runs_.back().at(runs_.back().count - 1); }

  const_iterator begin() const { return const_iterator(&runs_, 0, 0); }
  const_iterator end() const { return const_iterator(&runs_, runs_.size(), 0); }

  // The runs themselves (for tests and memory accounting).
  const std::vector<Run>& runs() const { return runs_; }

  friend bool operator==(const StridedRuns& x, const std::vector<T>& v) {
    if (x.size() != v.size()) return false;
    auto it = v.begin();
    for (const T& e : x)
      if (!(e == *it++)) return false;
    return true;
  }
  friend bool operator==(const std::vector<T>& v, const StridedRuns& x) { return x == v; }
  friend bool operator!=(const StridedRuns& x, const std::vector<T>& v) { return !(x == v); }
  friend bool operator!=(const std::vector<T>& v, const StridedRuns& x) { return !(x == v); }
  friend bool operator==(const StridedRuns& x, const StridedRuns& y) {
    if (x.size() != y.size()) return false;
    auto it = y.begin();
    for (const T& e : x)
      if (!(e == *it++)) return false;
    return true;
  }
  friend bool operator!=(const StridedRuns& x, const StridedRuns& y) { return !(x == y); }

 private:
  std::vector<Run> runs_;
  std::size_t size_ = 0;
};

}  // namespace iommusim
