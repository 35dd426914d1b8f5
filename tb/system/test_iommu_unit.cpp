// The remapping unit through its sockets: timing composition of a walk,
// coalesced misses, register-based invalidation, FPD, register access errors.
// Each test case elaborates its own model (one process per case under CTest).
#include <map>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "iommu_bench.h"


using namespace iommusim;
using namespace iommusim::bench;

// Defaults: 1 GHz unit clock; pipeline 2 cycles, context cache, IOTLB and
// paging-structure-cache lookups 1 cycle each.
TEST_CASE("iommu unit: a cold translation is the sum of its lookups and its memory reads", "[system][iommu]") {
  Bench b;
  const Addr top = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, top));
  b.tables.map(top, 0x40000000, 0x800000, 12, true, true);
  Driver::Result r{};
  std::vector<Probe::Seen> reads;
  sc_core::sc_spawn([&] {
    b.enable();
    r = b.drv.dma_at(1000 * kNs, 0x0018, 0x40000040, false);
  });
  sc_core::sc_start();
  REQUIRE(r.ok);
  reads = b.walk_probe.seen;
  // Root entry and context entry (16 bytes each, one read each), then 4
  // paging entries.
  REQUIRE(reads.size() == 6);
  CHECK(reads[0].addr == b.tables.root_table());
  CHECK(reads[0].arrival == (1000 + 2 + 1) * kNs);  // pipeline + context-cache lookup
  CHECK(reads[1].arrival == reads[0].done);
  CHECK(reads[2].addr == top);
  CHECK(reads[2].arrival == reads[1].done + 2 * kNs);  // IOTLB then PSC lookup
  for (std::size_t i = 3; i < 6; ++i) CHECK(reads[i].arrival == reads[i - 1].done);
  REQUIRE(b.sink.seen.size() == 1);
  CHECK(b.sink.seen[0].first == 0x800040);
  CHECK(b.sink.seen[0].second == reads[5].done);
  CHECK(r.done == reads[5].done);
  CHECK(b.counter("walks").value() == 1);
  CHECK(b.counter("walk_reads").value() == 6);

  // The same page again: context cache and IOTLB hit, no reads.
  Driver::Result r2{};
  sc_core::sc_spawn([&] { r2 = b.drv.dma_at(3000 * kNs, 0x0018, 0x40000080, false); });
  sc_core::sc_start();
  CHECK(b.walk_probe.seen.size() == 6);
  CHECK(r2.done == (3000 + 2 + 1 + 1) * kNs);
  // Another page under the same PD: the level-2 PSC resumes the walk at the PT:
  // one read.
  b.tables.map(top, 0x40001000, 0x801000, 12, true, true);
  Driver::Result r3{};
  sc_core::sc_spawn([&] { r3 = b.drv.dma_at(4000 * kNs, 0x0018, 0x40001000, false); });
  sc_core::sc_start();
  REQUIRE(b.walk_probe.seen.size() == 7);
  CHECK(b.walk_probe.seen[6].arrival == (4000 + 2 + 1 + 1 + 1) * kNs);
  CHECK(r3.done == b.walk_probe.seen[6].done);
  CHECK(b.counter("psc_hits").value() == 1);
}

TEST_CASE("iommu unit: two misses to one page walk once", "[system][iommu]") {
  Bench b;
  const Addr top = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, top));
  b.tables.map(top, 0x40000000, 0x800000, 12, true, true);
  Driver::Result first{}, second{};
  sc_core::sc_spawn([&] {
    b.enable();
    first = b.drv.dma_at(1000 * kNs, 0x0018, 0x40000000, false);
    second = b.drv.dma_at(1001 * kNs, 0x0018, 0x40000800, false);  // during the first walk
  });
  sc_core::sc_start();
  CHECK(b.counter("walks").value() == 1);
  CHECK(b.counter("iotlb_hits").value() == 1);
  CHECK(first.done > 1010 * kNs);
  CHECK(second.done == first.done);  // waited for the first walk's fill
  REQUIRE(b.sink.seen.size() == 2);
  CHECK(b.sink.seen[1].first == 0x800800);
}

TEST_CASE("iommu unit: register-based invalidation at each granularity", "[system][iommu]") {
  Bench b;
  const Addr t1 = b.tables.new_domain_table(), t2 = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, t1));
  b.tables.set_context(0x0020, b.context(2, t2));
  for (Addr p = 0; p < 4; ++p) {
    b.tables.map(t1, 0x1000 * p, 0x800000 + 0x1000 * p, 12, true, true);
    b.tables.map(t2, 0x1000 * p, 0x900000 + 0x1000 * p, 12, true, true);
  }
  const Addr iotlb_reg = b.unit.params().features.iro * 16 + 8;
  const Addr iva_reg = iotlb_reg - 8;
  auto warm = [&](Tick at) {
    for (Addr p = 0; p < 4; ++p) {
      b.drv.dma_at(at, 0x0018, 0x1000 * p, false);
      b.drv.dma_at(at, 0x0020, 0x1000 * p, false);
    }
  };
  std::vector<std::size_t> sizes;
  std::uint64_t ccmd_after = 0, iotlb_after = 0;
  sc_core::sc_spawn([&] {
    b.enable();
    warm(1000 * kNs);
    sizes.push_back(b.unit.iotlb().size());  // 8
    // Page-selective, DID 1, AM 1: pages 0 and 1 of domain 1.
    b.drv.write(iva_reg, 0x0000 | 1, 8);
    b.drv.write(iotlb_reg, (1ull << 63) | (3ull << 60) | (1ull << 32), 8);
    sizes.push_back(b.unit.iotlb().size());  // 6
    iotlb_after = b.drv.read(iotlb_reg, 8);
    // Domain-selective, DID 2.
    b.drv.write(iotlb_reg, (1ull << 63) | (2ull << 60) | (2ull << 32), 8);
    sizes.push_back(b.unit.iotlb().size());  // 2
    // Global.
    b.drv.write(iotlb_reg, (1ull << 63) | (1ull << 60), 8);
    sizes.push_back(b.unit.iotlb().size());  // 0
    // Context cache: device-selective 00:04.0 (SID 0x20), then global.
    sizes.push_back(b.unit.context_cache().size());  // 2
    b.drv.write(reg::kCcmd, (1ull << 63) | (3ull << 61) | (0x20ull << 16) | 2, 8);
    sizes.push_back(b.unit.context_cache().size());  // 1
    ccmd_after = b.drv.read(reg::kCcmd, 8);
    b.drv.write(reg::kCcmd, (1ull << 63) | (1ull << 61), 8);
    sizes.push_back(b.unit.context_cache().size());  // 0
  });
  sc_core::sc_start();
  CHECK(sizes == std::vector<std::size_t>{8, 6, 2, 0, 2, 1, 0});
  CHECK((iotlb_after >> 63) == 0);          // IVT cleared
  CHECK(((iotlb_after >> 57) & 3) == 3);    // IAIG: page-selective performed
  CHECK((ccmd_after >> 63) == 0);           // ICC cleared
  CHECK(((ccmd_after >> 59) & 3) == 3);     // CAIG: device-selective performed
  CHECK(b.counter("iotlb_invalidations").value() == 3);
  CHECK(b.counter("context_invalidations").value() == 2);
}

TEST_CASE("iommu unit: FPD suppresses recording of qualified faults only", "[system][iommu]") {
  Bench b;
  const Addr top = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, top, /*fpd=*/true));
  b.tables.set_context(0x0020, b.context(2, top, /*fpd=*/false));
  std::vector<std::uint8_t> reasons;
  std::uint64_t fsts = 0, frcd_hi = 0;
  sc_core::sc_spawn([&] {
    b.enable();
    reasons.push_back(b.drv.dma_at(1000 * kNs, 0x0018, 0x5000, false).fault);  // not mapped, FPD: not recorded
    fsts = b.drv.read(reg::kFsts);
    reasons.push_back(b.drv.dma_at(2000 * kNs, 0x0020, 0x5000, true).fault);   // recorded
    frcd_hi = b.drv.read(b.unit.params().features.fro * 16 + 8, 8);
  });
  sc_core::sc_start();
  CHECK(reasons == std::vector<std::uint8_t>{0x6, 0x5});
  CHECK(fsts == 0);  // nothing recorded
  CHECK(b.counter("faults_suppressed").value() == 1);
  CHECK(b.counter("faults_recorded").value() == 1);
  CHECK((frcd_hi >> 63) == 1);                 // F
  CHECK(((frcd_hi >> 32) & 0xff) == 0x5);      // FR
  CHECK((frcd_hi & 0xffff) == 0x0020);         // SID
  CHECK(((frcd_hi >> 62) & 1) == 0);           // T = 0: write
  CHECK(b.sink.seen.empty());                  // nothing reached memory
}

TEST_CASE("iommu unit: bad register accesses get error responses", "[system][iommu]") {
  Bench b;
  std::vector<tlm::tlm_response_status> st;
  std::uint64_t cap_after = 0, cap_before = 0;
  sc_core::sc_spawn([&] {
    std::uint64_t v = 0;
    st.push_back(b.drv.reg(0x2, 4, v, false));      // misaligned
    st.push_back(b.drv.reg(0x10000, 4, v, false));  // beyond the block
    cap_before = b.drv.read(reg::kCap, 8);
    v = ~0ull;
    st.push_back(b.drv.reg(reg::kCap, 8, v, true));  // read-only: ignored
    cap_after = b.drv.read(reg::kCap, 8);
  });
  sc_core::sc_start();
  REQUIRE(st.size() == 3);
  CHECK(st[0] == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(st[1] == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(st[2] == tlm::TLM_OK_RESPONSE);
  CHECK(cap_after == cap_before);
  CHECK(cap_before == make_cap(b.unit.params().features));
}

// Random tables and random requests through the whole unit (small caches, so
// that entries are evicted and walks resume from the paging-structure caches):
// every request either faults with the reason the tables imply or reaches
// exactly the address they map.
TEST_CASE("iommu unit: random tables and requests translate or fault as the tables say", "[system][iommu]") {
  Bench b("unit: {iotlb: {entries: 16, ways: 4}, context_cache: {entries: 2}, psc: {entries: 4, policy: fifo}}");
  std::mt19937_64 rng(42);
  struct Page {
    Addr pa;
    unsigned shift;
    bool r, w;
  };
  // Domain 1: devices 00:03.0 and 00:05.0 (shared); domain 2: 00:04.0;
  // 00:06.0 is pass-through.
  std::map<std::uint16_t, std::map<Addr, Page>> pages;  // did -> page base -> page
  const Addr t1 = b.tables.new_domain_table(), t2 = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, t1));
  b.tables.set_context(0x0028, b.context(1, t1));
  b.tables.set_context(0x0020, b.context(2, t2));
  ContextEntry pt = b.context(3, 0);
  pt.tt = kTtPassThrough;
  b.tables.set_context(0x0030, pt);
  const std::map<std::uint16_t, std::uint16_t> did_of = {{0x18, 1}, {0x28, 1}, {0x20, 2}};
  for (std::uint16_t did : {1, 2}) {
    const Addr top = did == 1 ? t1 : t2;
    for (int i = 0; i < 150; ++i) {
      const Addr iova = (rng() % (1u << 20)) << 12;  // below 4 GiB
      if (pages[did].count(iova)) continue;
      const unsigned perm = 1 + rng() % 3;  // r, w or rw
      Page p{(0x10000000 + (rng() % (1u << 18))) << 12, 12, (perm & 1) != 0, (perm & 2) != 0};
      b.tables.map(top, iova, p.pa, 12, p.r, p.w);
      pages[did][iova] = p;
    }
    for (int i = 0; i < 8; ++i) {
      const Addr iova = (Addr(1) << 33) + ((rng() % 512) << 21);  // 2 MiB pages above 8 GiB
      if (pages[did].count(iova)) continue;
      Page p{(rng() % 4096) << 21, 21, true, (rng() & 1) != 0};
      b.tables.map(top, iova, p.pa, 21, p.r, p.w);
      pages[did][iova] = p;
    }
  }
  struct Req {
    std::uint16_t sid;
    Addr iova;
    bool write;
  };
  std::vector<Req> reqs;
  const std::uint16_t sids[] = {0x18, 0x28, 0x20, 0x30};
  for (int i = 0; i < 3000; ++i) {
    const std::uint16_t sid = sids[rng() % 4];
    const std::uint16_t did = sid == 0x30 ? 1 : did_of.at(sid);
    Addr iova;
    const unsigned kind = rng() % 10;
    if (kind < 7) {  // a mapped page
      auto it = pages[did].begin();
      std::advance(it, rng() % pages[did].size());
      iova = it->first + ((rng() % ((Addr(1) << it->second.shift) / 64)) * 64);
    } else if (kind < 9) {
      iova = (rng() % (Addr(1) << 26)) * 64;  // anywhere below 4 GiB
    } else {
      iova = (Addr(1) << 48) + (rng() % 1024) * 64;  // beyond the 48-bit AGAW
    }
    reqs.push_back({sid, iova, (rng() & 1) != 0});
  }
  std::vector<Driver::Result> got;
  sc_core::sc_spawn([&] {
    b.enable();
    for (std::size_t i = 0; i < reqs.size(); ++i)
      got.push_back(b.drv.dma_at((1000 + i * 500) * kNs, reqs[i].sid, reqs[i].iova, reqs[i].write));
  });
  sc_core::sc_start();
  REQUIRE(got.size() == reqs.size());
  std::size_t sink_i = 0, faults = 0;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    const Req& q = reqs[i];
    INFO("request " << i << " sid " << q.sid << " iova " << std::hex << q.iova << (q.write ? " write" : " read"));
    std::uint8_t want_fault = 0;
    Addr want_pa = q.iova;
    if (q.sid != 0x30) {
      const auto& m = pages[did_of.at(q.sid)];
      const Page* hit = nullptr;
      Addr base = 0;
      for (unsigned shift : {12u, 21u}) {
        base = q.iova & ~((Addr(1) << shift) - 1);
        auto it = m.find(base);
        if (it != m.end() && it->second.shift == shift) {
          hit = &it->second;
          break;
        }
      }
      if (q.iova >> 48) want_fault = 0x4;
      else if (!hit || (q.write ? !hit->w : !hit->r)) want_fault = q.write ? 0x5 : 0x6;
      else want_pa = hit->pa + (q.iova - base);
    }
    if (want_fault) {
      ++faults;
      CHECK_FALSE(got[i].ok);
      CHECK(int(got[i].fault) == int(want_fault));
    } else {
      CHECK(got[i].ok);
      REQUIRE(sink_i < b.sink.seen.size());
      CHECK(b.sink.seen[sink_i++].first == want_pa);
    }
  }
  CHECK(sink_i == b.sink.seen.size());
  CHECK(faults > 300);  // the mix really exercises faults
  CHECK(b.counter("psc_hits").value() > 0);
  CHECK(b.counter("iotlb_hits").value() > 0);
}

// Caching mode (CAP.CM): a not-present result is cached, so a page made
// present is seen only after software invalidates it; without CM the new
// mapping is seen at once.
TEST_CASE("iommu unit: caching mode caches not-present entries until invalidated", "[system][iommu]") {
  {
    Bench b("unit: {features: {cm: true}}");
    const Addr top = b.tables.new_domain_table();
    b.tables.set_context(0x0018, b.context(1, top));
    b.tables.map(top, 0x0000, 0x800000, 12, true, true);  // tables exist, page 0x1000 not mapped
    std::vector<Driver::Result> r;
    const Addr iotlb_reg = b.unit.params().features.iro * 16 + 8;
    sc_core::sc_spawn([&] {
      b.enable();
      r.push_back(b.drv.dma_at(1000 * kNs, 0x0018, 0x1000, false));  // 0x6, cached
      b.tables.map(top, 0x1000, 0x801000, 12, true, true);
      r.push_back(b.drv.dma_at(2000 * kNs, 0x0018, 0x1000, false));  // still 0x6
      b.drv.write(iotlb_reg - 8, 0x1000, 8);                         // IVA
      b.drv.write(iotlb_reg, (1ull << 63) | (3ull << 60) | (1ull << 32), 8);
      r.push_back(b.drv.dma_at(3000 * kNs, 0x0018, 0x1000, false));  // translated
    });
    sc_core::sc_start();
    REQUIRE(r.size() == 3);
    CHECK(r[0].fault == 0x6);
    CHECK(r[1].fault == 0x6);
    CHECK(r[2].ok);
    CHECK(b.counter("walks").value() == 2);
    REQUIRE(b.sink.seen.size() == 1);
    CHECK(b.sink.seen[0].first == 0x801000);
  }
}

TEST_CASE("iommu unit: without caching mode a newly present page is seen at once", "[system][iommu]") {
  Bench b;
  const Addr top = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, top));
  b.tables.map(top, 0x0000, 0x800000, 12, true, true);
  std::vector<Driver::Result> r;
  sc_core::sc_spawn([&] {
    b.enable();
    r.push_back(b.drv.dma_at(1000 * kNs, 0x0018, 0x1000, false));
    b.tables.map(top, 0x1000, 0x801000, 12, true, true);
    r.push_back(b.drv.dma_at(2000 * kNs, 0x0018, 0x1000, false));
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 2);
  CHECK(r[0].fault == 0x6);
  CHECK(r[1].ok);
}

// Queued invalidation timing: each descriptor is fetched through the unit's
// memory port when the previous one is done, and takes qi.descriptor_cycles
// (8) plus qi.entry_cycles (1) per cache entry its invalidation examines
// (none here: the caches are empty); the wait descriptor's status write
// follows the same rule.
TEST_CASE("iommu unit: a queue of descriptors takes the configured costs", "[system][iommu][qi]") {
  Bench b;
  auto put = [&](Addr a, std::uint64_t v) { b.mem.store().write_le(a, v, 8); };
  put(0x400000, 0x11);         // context-cache global
  put(0x400008, 0x0);
  put(0x400010, 0x12);         // IOTLB global
  put(0x400018, 0x0);
  put(0x400020, 0x700000025);  // wait: SW, status 7
  put(0x400028, 0x500000);
  std::uint64_t iqh = 0;
  sc_core::sc_spawn([&] {
    b.drv.write(reg::kIqa, 0x400000, 8);
    b.drv.write(reg::kGcmd, 1u << 26);  // QIE
    sc_core::wait(to_sc_time(1000 * kNs));
    b.drv.write(reg::kIqt, 0x30, 8);
    sc_core::wait(to_sc_time(1000 * kNs));
    iqh = b.drv.read(reg::kIqh, 8);
  });
  sc_core::sc_start();
  const auto& s = b.walk_probe.seen;
  REQUIRE(s.size() == 4);
  CHECK(s[0].addr == 0x400000);
  CHECK(s[0].arrival == 1001 * kNs);  // the IQT write takes one register cycle
  CHECK(s[1].addr == 0x400010);
  CHECK(s[1].arrival == s[0].done + 8 * kNs);
  CHECK(s[2].addr == 0x400020);
  CHECK(s[2].arrival == s[1].done + 8 * kNs);
  CHECK(s[3].addr == 0x500000);  // status write
  CHECK(s[3].arrival == s[2].done + 8 * kNs);
  CHECK(b.mem.store().read_le(0x500000, 4) == 7);
  CHECK(iqh == 0x30);
  CHECK(b.counter("qi_descriptors").value() == 3);
}

TEST_CASE("iommu unit: a tail beyond the queue is an invalidation queue error", "[system][iommu][qi]") {
  Bench b;
  std::uint64_t fsts = 0, iqercd = 0, iqh = 1;
  sc_core::sc_spawn([&] {
    b.drv.write(reg::kIqa, 0x400000, 8);  // QS = 0: 4 KiB, 256 descriptors
    b.drv.write(reg::kGcmd, 1u << 26);
    b.drv.write(reg::kIqt, 0x1000, 8);    // beyond the last descriptor (0xff0)
    sc_core::wait(to_sc_time(100 * kNs));
    fsts = b.drv.read(reg::kFsts);
    iqercd = b.drv.read(reg::kIqercd, 8);
    iqh = b.drv.read(reg::kIqh, 8);
  });
  sc_core::sc_start();
  CHECK((fsts & reg::kFstsIqe) != 0);
  CHECK((iqercd & 0xf) == 1);  // IQEI: invalid tail pointer
  CHECK(iqh == 0);
  CHECK(b.walk_probe.seen.empty());  // nothing fetched
}

// Protected memory regions: with PMEN.EPM, DMA to the low region [PLMBASE,
// PLMLIMIT | 0x1fffff] is blocked without a fault record, translation off.
TEST_CASE("iommu unit: protected memory regions block DMA without recording a fault", "[system][iommu]") {
  Bench b;
  std::vector<Driver::Result> r;
  std::uint64_t pmen = 0, fsts = 1;
  sc_core::sc_spawn([&] {
    b.drv.write(reg::kPlmbase, 0x200000);
    b.drv.write(reg::kPlmlimit, 0x200000);  // one 2 MiB granule: 0x200000-0x3fffff
    r.push_back(b.drv.dma_at(100 * kNs, 0x0018, 0x200040, false));  // EPM off: passes
    b.drv.write(reg::kPmen, 1u << 31);
    pmen = b.drv.read(reg::kPmen);
    r.push_back(b.drv.dma_at(200 * kNs, 0x0018, 0x200040, false));  // blocked
    r.push_back(b.drv.dma_at(300 * kNs, 0x0018, 0x3fffc0, true));   // blocked (last bytes)
    r.push_back(b.drv.dma_at(400 * kNs, 0x0018, 0x400000, false));  // beyond: passes
    fsts = b.drv.read(reg::kFsts);
  });
  sc_core::sc_start();
  REQUIRE(r.size() == 4);
  CHECK(r[0].ok);
  CHECK((pmen & 1) == 1);  // PRS
  CHECK_FALSE(r[1].ok);
  CHECK(r[1].fault == 0);  // not a remapping fault
  CHECK_FALSE(r[2].ok);
  CHECK(r[3].ok);
  CHECK(fsts == 0);
  CHECK(b.counter("pmr_blocked").value() == 2);
  CHECK(b.sink.seen.size() == 2);
}

// memory_latency_ns: each table read crosses the uncore to memory and back,
// half each way (docs/models/iommu.md, "The translation pipeline and its
// timing").
TEST_CASE("iommu unit: memory_latency_ns adds the uncore round trip to every table read", "[system][iommu][timing]") {
  Bench b("unit: {memory_latency_ns: 20}");
  const Addr top = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, top));
  b.tables.map(top, 0x40000000, 0x800000, 12, true, true);
  Driver::Result r{};
  sc_core::sc_spawn([&] {
    b.enable();
    r = b.drv.dma_at(1000 * kNs, 0x0018, 0x40000040, false);
  });
  sc_core::sc_start();
  REQUIRE(r.ok);
  const std::vector<Probe::Seen>& reads = b.walk_probe.seen;
  REQUIRE(reads.size() == 6);
  CHECK(reads[0].arrival == (1000 + 2 + 1 + 10) * kNs);  // pipeline, context cache, 10 ns to memory
  CHECK(reads[1].arrival == reads[0].done + 20 * kNs);    // back, and to memory again
  CHECK(reads[2].arrival == reads[1].done + (10 + 2 + 10) * kNs);  // back, IOTLB and PSC, there
  for (std::size_t i = 3; i < 6; ++i) CHECK(reads[i].arrival == reads[i - 1].done + 20 * kNs);
  CHECK(r.done == reads[5].done + 10 * kNs);
  CHECK(b.sink.seen.at(0).second == r.done);
}

// Ordering per requester: with hit_under_miss 0 and misses 1, a device's
// second miss walks after its first, and its hit waits for both; another
// device's hit does not wait.
TEST_CASE("iommu unit: ordering per requester holds walks and hits behind a device's misses",
          "[system][iommu][timing]") {
  Bench b("unit: {ordering: {hit_under_miss: 0, misses: 1}}");
  const Addr top = b.tables.new_domain_table();
  b.tables.set_context(0x0018, b.context(1, top));
  b.tables.set_context(0x0020, b.context(1, top));
  for (Addr p = 0; p < 3; ++p) b.tables.map(top, 0x40000000 + 0x1000 * p, 0x800000 + 0x1000 * p, 12, true, true);
  Driver::Result warm{}, q{}, r{}, hit{}, other{};
  sc_core::sc_spawn([&] {
    b.enable();
    warm = b.drv.dma_at(1000 * kNs, 0x0018, 0x40000000, false);  // page 0 in the IOTLB
    b.drv.dma_at(1500 * kNs, 0x0020, 0x40000000, false);         // 00:04.0's context cached
    q = b.drv.dma_at(3000 * kNs, 0x0018, 0x40001000, false);     // miss: one read (PDE cached)
    r = b.drv.dma_at(3001 * kNs, 0x0018, 0x40002000, false);     // miss: waits for q's walk
    hit = b.drv.dma_at(3002 * kNs, 0x0018, 0x40000000, false);   // hit: waits for q and r
    other = b.drv.dma_at(3003 * kNs, 0x0020, 0x40000000, false); // another requester: not held
  });
  sc_core::sc_start();
  REQUIRE(warm.ok);
  REQUIRE(b.walk_probe.seen.size() == 6 + 2 + 2);  // cold walk, 00:04.0's context, q, r
  const Probe::Seen& qr = b.walk_probe.seen[8];
  const Probe::Seen& rr = b.walk_probe.seen[9];
  CHECK(qr.arrival == (3000 + 2 + 1 + 1 + 1) * kNs);
  CHECK(q.done == qr.done);
  CHECK(rr.arrival == q.done);  // not at 3006 ns: one walk at a time for 00:03.0
  CHECK(r.done == rr.done);
  CHECK(hit.done == r.done);  // not at 3006 ns
  CHECK(other.done == (3003 + 4) * kNs);
  CHECK(b.counter("miss_limit_stalls").value() == 1);
  CHECK(b.counter("miss_limit_wait").value() == q.done - 3006 * kNs);
  CHECK(b.counter("hit_under_miss_stalls").value() == 1);
  CHECK(b.counter("hit_under_miss_wait").value() == r.done - 3006 * kNs);
  CHECK(b.counter("in_order_stalls").value() == 0);
}

// Ordering per request class: posted writes complete in order among
// themselves, non-posted reads and translation requests are held by a read's
// walk (hit_under_miss 0), and neither class is held by the other's walks.
// Without class blocks there are no per-class statistics.
TEST_CASE("iommu unit: ordering per request class holds each class only behind its own requests",
          "[system][iommu][timing]") {
  Bench b("unit: {ordering: {posted: {in_order: true}, non_posted: {hit_under_miss: 0}}}");
  const Addr top = b.tables.new_domain_table();
  ContextEntry ce = b.context(1, top);
  ce.tt = kTtDeviceTlb;  // translation requests allowed, untranslated DMA too
  b.tables.set_context(0x0018, ce);
  for (Addr p = 0; p < 3; ++p) b.tables.map(top, 0x40000000 + 0x1000 * p, 0x800000 + 0x1000 * p, 12, true, true);
  Driver::Result warm{}, w{}, rh{}, wh{}, r{}, rh2{}, wh2{};
  Driver::AtsResult ats{};
  sc_core::sc_spawn([&] {
    b.enable();
    warm = b.drv.dma_at(1000 * kNs, 0x0018, 0x40000000, false);  // page 0 in the IOTLB, PDE cached
    w = b.drv.dma_at(3000 * kNs, 0x0018, 0x40001000, true);       // write miss: one read
    rh = b.drv.dma_at(3001 * kNs, 0x0018, 0x40000000, false);     // read hit: w's walk does not hold it
    wh = b.drv.dma_at(3002 * kNs, 0x0018, 0x40000000, true);      // write hit: in order behind w
    r = b.drv.dma_at(3003 * kNs, 0x0018, 0x40002000, false);      // read miss: one read, not held by w
    rh2 = b.drv.dma_at(3004 * kNs, 0x0018, 0x40000000, false);    // read hit: held by r (H = 0)
    ats = b.drv.translate_at(3005 * kNs, 0x0018, 0x40000000);     // translation request: non-posted, held by r
    wh2 = b.drv.dma_at(3006 * kNs, 0x0018, 0x40000000, true);     // write hit: in order behind w
  });
  sc_core::sc_start();
  REQUIRE(warm.ok);
  REQUIRE(ats.ok);
  REQUIRE(b.walk_probe.seen.size() == 6 + 1 + 1);  // cold walk, w, r
  const Probe::Seen& wr = b.walk_probe.seen[6];
  const Probe::Seen& rr = b.walk_probe.seen[7];
  // Hits: pipeline + context cache + IOTLB = 4 ns; misses read at +5 ns.
  CHECK(wr.arrival == (3000 + 5) * kNs);
  CHECK(rr.arrival == (3003 + 5) * kNs);  // not held behind w's walk
  CHECK(w.done == wr.done);
  CHECK(r.done == rr.done);
  REQUIRE(w.done > (3006 + 4) * kNs);
  REQUIRE(r.done > (3005 + 4) * kNs);
  CHECK(rh.done == (3001 + 4) * kNs);
  CHECK(wh.done == w.done);
  CHECK(rh2.done == r.done);
  CHECK(ats.done == r.done);
  CHECK(wh2.done == w.done);
  CHECK(b.counter("posted.in_order_stalls").value() == 2);
  CHECK(b.counter("posted.in_order_wait").value() == (w.done - 3006 * kNs) + (w.done - 3010 * kNs));
  CHECK(b.counter("posted.hit_under_miss_stalls").value() == 0);
  CHECK(b.counter("non_posted.hit_under_miss_stalls").value() == 2);
  CHECK(b.counter("non_posted.hit_under_miss_wait").value() == (r.done - 3008 * kNs) + (r.done - 3009 * kNs));
  CHECK(b.counter("non_posted.in_order_stalls").value() == 0);
  CHECK(b.counter("non_posted.miss_limit_stalls").value() == 0);
  // The totals hold both classes.
  CHECK(b.counter("in_order_stalls").value() == 2);
  CHECK(b.counter("hit_under_miss_stalls").value() == 2);
  CHECK(b.counter("hit_under_miss_wait").value() == b.counter("non_posted.hit_under_miss_wait").value());
}

TEST_CASE("iommu unit: without class blocks the ordering has no per-class statistics", "[system][iommu][timing]") {
  Bench b("unit: {ordering: {hit_under_miss: 0}}");
  CHECK(b.stats.find("iommu0.hit_under_miss_stalls") != nullptr);
  CHECK(b.stats.find("iommu0.posted.hit_under_miss_stalls") == nullptr);
  CHECK(b.stats.find("iommu0.non_posted.in_order_wait") == nullptr);
}
