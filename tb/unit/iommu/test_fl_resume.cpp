// A first-level walk resumed from a paging-structure-cache hit reads only the
// levels below it and applies the permissions accumulated above it.
#include <map>

#include <catch2/catch.hpp>

#include "fake_table_memory.h"
#include "vtd/fault_reason.h"
#include "vtd/fl_pte.h"
#include "iommu/fl_walker.h"

using namespace iommusim;
using iommusim::test::FakeTableMemory;

TEST_CASE("iommu sm: a first-level walk resumes below a cached level", "[unit][iommu][scalable]") {
  FakeTableMemory m;
  // 4-level: PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000 -> PT 0x13000; VA 0x7000 -> 0x700000.
  m.mem[0x10000] = fl_make_table(0x11000);
  m.mem[0x11000] = fl_make_table(0x12000);
  m.mem[0x12000] = fl_make_table(0x13000);
  m.mem[0x13000 + 7 * 8] = fl_make_page(0x700000, 1, true, true);
  FlWalkParams p;
  p.table = 0x10000;
  p.levels = 4;
  p.haw = 48;
  FlWalkResult full = walk_first_level(m, p, 0x7010, false, false, false);
  REQUIRE(full.ok);
  CHECK(full.pa == 0x700010);
  CHECK(m.count == 4);

  // Resume at level 1 (a level-2 PSC hit gave the PT): one read.
  m.count = 0;
  p.start_level = 1;
  p.start_table = 0x13000;
  FlWalkResult resumed = walk_first_level(m, p, 0x7010, true, false, false);
  REQUIRE(resumed.ok);
  CHECK(resumed.pa == 0x700010);
  CHECK(m.count == 1);
  REQUIRE(resumed.steps.size() == 1);
  CHECK(resumed.steps[0].level == 1);

  // Permissions accumulated above the resume point still apply.
  p.start_rw = false;
  CHECK(int(walk_first_level(m, p, 0x7010, true, false, false).fault) == int(FaultReason::kSmWriteNoPermission));
  p.start_rw = true;
  p.start_us = false;
  CHECK(int(walk_first_level(m, p, 0x7010, false, false, false).fault) == int(FaultReason::kSmUserSupervisor));
  // The canonical check is made before any resume.
  CHECK(int(walk_first_level(m, p, 0x800000000000, false, false, false).fault) == int(FaultReason::kSmNonCanonical));
}
