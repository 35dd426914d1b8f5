// Runs child processes, at most N at once: the engine of `iommusim sweep` and
// `iommusim regress`, which run every point or case as its own process
// (SystemC elaborates once per process). Plain C++ on POSIX (posix_spawn,
// waitpid), no SystemC.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace iommusim {

struct ChildJob {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string stdout_file;        // created/truncated; "" = /dev/null
  std::string stderr_file;
};

struct ChildResult {
  int exit_code = -1;     // when the child exited
  int signal = 0;         // when it was killed by a signal
  bool spawn_failed = false;
  std::string spawn_error;
  double seconds = 0;     // wall time
  bool ok() const { return !spawn_failed && signal == 0 && exit_code == 0; }
  // "exit code 1", "killed by signal 9 (Killed)", "cannot start: ..."
  std::string describe() const;
};

struct PoolStatus {
  std::size_t total = 0, done = 0, running = 0, failed = 0;
  double elapsed = 0;  // seconds since run() started
};

// Runs `jobs` with at most `parallel` at once, in order of the vector.
// `on_done(i, result)` is called (from the calling thread) as each finishes;
// `on_tick(status)` after every start and finish and about every 200 ms
// while children run.
void run_jobs(const std::vector<ChildJob>& jobs, unsigned parallel,
              const std::function<void(std::size_t, const ChildResult&)>& on_done,
              const std::function<void(const PoolStatus&)>& on_tick = {});

// The last `lines` lines of a text file ("" if it cannot be read).
std::string file_tail(const std::string& path, std::size_t lines);

// This program's own executable (/proc/self/exe), to run it as a child.
std::string self_executable();

// The number of processors (at least 1): the default of -j.
unsigned default_jobs();

}  // namespace iommusim
