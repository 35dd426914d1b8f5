// SystemC prints a copyright banner to stderr the first time the kernel is
// used; Debian's build of SystemC 2.3.4 has no switch to turn it off. Calling
// sc_core::pln() (which prints it once and remembers it did) while stderr
// points at /dev/null uses up that one print.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace sc_core {
void pln();
}

namespace iommusim {

inline void silence_systemc_banner() {
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int null_fd = open("/dev/null", O_WRONLY);
  if (saved < 0 || null_fd < 0) return;
  dup2(null_fd, STDERR_FILENO);
  sc_core::pln();
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(null_fd);
  close(saved);
}

}  // namespace iommusim
