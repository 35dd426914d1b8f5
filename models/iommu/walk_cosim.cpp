#include "iommu/walk_cosim.h"

#include <algorithm>

#include <fmt/format.h>

#include "vtd/fault_reason.h"

namespace iommusim {

std::uint64_t RecordingReader::read_qword(Addr pa) {
  std::uint64_t v = 0;
  try_read_qword(pa, v);
  return v;
}

bool RecordingReader::try_read_qword(Addr pa, std::uint64_t& value) {
  WalkRead r;
  r.addr = pa;
  r.issued = clock_ ? clock_() : 0;
  r.ok = inner_.try_read_qword(pa, value);
  r.data = r.ok ? value : 0;
  r.done = clock_ ? clock_() : r.issued;
  log_.push_back(r);
  return r.ok;
}

bool ReplayMemory::read(Tick at, Addr pa, std::uint64_t& value, Tick& done) {
  if (next_ < log_.size() && log_[next_].addr == pa) {
    const WalkRead& r = log_[next_++];
    value = r.data;
    done = at + (r.done - r.issued);
    return r.ok;
  }
  ++next_;
  ++diverged_;
  done = at;
  return fallback_.try_read_qword(pa, value);
}

const char* cosim_field_name(unsigned bit_index) {
  static const char* const names[kCosimFieldCount] = {"ok", "fault", "pa", "page_size", "perm", "level", "reads"};
  return bit_index < kCosimFieldCount ? names[bit_index] : "?";
}

unsigned compare_walks(const SlWalkResult& tlm, const std::vector<WalkRead>& tlm_reads, const SlWalkResult& rtl,
                       const std::vector<WalkRead>& rtl_reads) {
  unsigned f = 0;
  if (tlm.ok != rtl.ok) f |= kCosimOk;
  if (tlm.fault != rtl.fault) f |= kCosimFault;
  if (tlm.pa != rtl.pa) f |= kCosimPa;
  if (tlm.page_size != rtl.page_size) f |= kCosimPageSize;
  if (tlm.r != rtl.r || tlm.w != rtl.w) f |= kCosimPerm;
  if (tlm.end_level != rtl.end_level) f |= kCosimLevel;
  if (tlm_reads.size() != rtl_reads.size() ||
      !std::equal(tlm_reads.begin(), tlm_reads.end(), rtl_reads.begin(),
                  [](const WalkRead& a, const WalkRead& b) { return a.addr == b.addr; }))
    f |= kCosimReads;
  return f;
}

namespace {

std::string size_text(std::uint64_t s) {
  if (s == 0) return "-";
  if (s >= (1ull << 30) && s % (1ull << 30) == 0) return fmt::format("{}G", s >> 30);
  if (s >= (1ull << 20) && s % (1ull << 20) == 0) return fmt::format("{}M", s >> 20);
  if (s >= (1ull << 10) && s % (1ull << 10) == 0) return fmt::format("{}K", s >> 10);
  return fmt::format("{}", s);
}

std::string reads_text(const std::vector<WalkRead>& reads) {
  std::string s;
  for (const WalkRead& r : reads) {
    s += fmt::format("\n      {:#014x}: ", r.addr);
    s += r.ok ? fmt::format("{:#018x}", r.data) : std::string("read error");
  }
  return s.empty() ? std::string(" (none)") : s;
}

}  // namespace

std::string describe_walk_result(const SlWalkResult& r) {
  const std::string perm = fmt::format("{}{}", r.r ? 'r' : '-', r.w ? 'w' : '-');
  if (r.ok)
    return fmt::format("ok pa={:#x} size={} perm={} level={}", r.pa, size_text(r.page_size), perm, r.end_level);
  return fmt::format("fault {:#x} ({}) size={} perm={} level={}", static_cast<unsigned>(r.fault),
                     fault_reason_text(r.fault), size_text(r.page_size), perm, r.end_level);
}

std::string describe_walk_mismatch(const SlWalkParams& p, const SlWalkRequest& q, const SlWalkResult& tlm,
                                   const std::vector<WalkRead>& tlm_reads, const SlWalkResult& rtl,
                                   const std::vector<WalkRead>& rtl_reads, unsigned fields) {
  std::string differ;
  for (unsigned b = 0; b < kCosimFieldCount; ++b)
    if (fields & (1u << b)) differ += std::string(differ.empty() ? "" : ",") + cosim_field_name(b);
  const char* access = q.write && q.read ? "read+write" : q.write ? "write" : q.read ? "read" : "translation request";
  std::string s = fmt::format("RTL and TLM walks differ in {}\n", differ);
  s += fmt::format("  request: iova={:#x} {} table={:#x} levels={}", q.iova, access, p.table, p.levels);
  if (q.start_level)
    s += fmt::format(" resumed at level {} table={:#x} perm={}{}", q.start_level, q.start_table, q.start_r ? 'r' : '-',
                     q.start_w ? 'w' : '-');
  s += fmt::format("\n  unit: haw={} mgaw={} sp_2m={} sp_1g={} sc={} dt={}\n", p.haw, p.mgaw, p.sp_2m, p.sp_1g,
                   p.sc, p.dt);
  s += "  tlm: " + describe_walk_result(tlm) + "\n";
  s += "  rtl: " + describe_walk_result(rtl) + "\n";
  s += "  tlm reads:" + reads_text(tlm_reads) + "\n";
  s += "  rtl reads:" + reads_text(rtl_reads);
  return s;
}

}  // namespace iommusim
