// System tests of the command-line program: each runs `iommusim` as a child
// process and checks its exit code, output files and messages.
#include <catch2/catch.hpp>

#include "system_util.h"

using namespace iommusim::test;

TEST_CASE("cli: --version and --help", "[system]") {
  auto r = run_cli("--version");
  CHECK(r.status == 0);
  CHECK(r.out.find("iommusim ") == 0);
  auto h = run_cli("--help");
  CHECK(h.status == 0);
  CHECK(h.out.find("run") != std::string::npos);
  CHECK(h.out.find("validate") != std::string::npos);
}
