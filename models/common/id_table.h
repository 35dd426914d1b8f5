// A table from a 16-bit id (a PCIe requester id, a domain id) to a value
// created when the id first occurs: the per-device and per-domain statistics
// of a remapping unit, looked up once per request. A lookup is two array
// indexings (no tree, no hash): the id's high byte selects a page of 256
// values, allocated when one of its ids is first stored; the low byte selects
// the value in it. Memory: 2 KiB of page pointers plus one page per high byte
// in use.
//
// Values never move once stored: pointers and references returned stay valid
// for the table's lifetime. Plain C++ (no SystemC).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

namespace iommusim {

template <class T>
class IdTable {
 public:
  static constexpr std::size_t kPageIds = 256;

  // The value of `id`, or nullptr when none has been stored.
  T* find(std::uint16_t id) {
    Page* p = pages_[id >> 8].get();
    if (!p) return nullptr;
    std::optional<T>& v = (*p)[id & 0xff];
    return v ? &*v : nullptr;
  }
  const T* find(std::uint16_t id) const { return const_cast<IdTable*>(this)->find(id); }

  // Stores `value` for `id` unless it already has one; returns the stored value.
  T& emplace(std::uint16_t id, T value) {
    std::unique_ptr<Page>& p = pages_[id >> 8];
    if (!p) {
      p = std::make_unique<Page>();
      ++pages_used_;
    }
    std::optional<T>& v = (*p)[id & 0xff];
    if (!v) {
      v.emplace(std::move(value));
      ++size_;
    }
    return *v;
  }

  // Number of ids with a value, and of pages allocated.
  std::size_t size() const { return size_; }
  std::size_t pages_used() const { return pages_used_; }

 private:
  using Page = std::array<std::optional<T>, kPageIds>;
  std::array<std::unique_ptr<Page>, 65536 / kPageIds> pages_{};
  std::size_t size_ = 0;
  std::size_t pages_used_ = 0;
};

}  // namespace iommusim
