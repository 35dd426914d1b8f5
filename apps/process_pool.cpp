#include "process_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>

extern char** environ;

namespace iommusim {

std::string ChildResult::describe() const {
  if (spawn_failed) return "cannot start: " + spawn_error;
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit code {}", exit_code);
}

namespace {

using Clock = std::chrono::steady_clock;

// Starts one child with its output redirected; returns its pid or -1 (errno in `err`).
pid_t spawn(const ChildJob& job, std::string& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const auto redirect = [&](int fd, const std::string& file) {
    const char* path = file.empty() ? "/dev/null" : file.c_str();
    posix_spawn_file_actions_addopen(&fa, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  };
  redirect(STDOUT_FILENO, job.stdout_file);
  redirect(STDERR_FILENO, job.stderr_file);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const std::string& a : job.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    err = fmt::format("{}: {}", job.argv.empty() ? "" : job.argv[0], std::strerror(rc));
    return -1;
  }
  return pid;
}

}  // namespace

void run_jobs(const std::vector<ChildJob>& jobs, unsigned parallel,
              const std::function<void(std::size_t, const ChildResult&)>& on_done,
              const std::function<void(const PoolStatus&)>& on_tick) {
  if (parallel == 0) parallel = 1;
  const auto t0 = Clock::now();
  std::map<pid_t, std::pair<std::size_t, Clock::time_point>> running;
  std::size_t next = 0;
  PoolStatus st;
  st.total = jobs.size();
  const auto tick = [&] {
    if (!on_tick) return;
    st.running = running.size();
    st.elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    on_tick(st);
  };
  const auto finish = [&](std::size_t i, const ChildResult& r) {
    ++st.done;
    if (!r.ok()) ++st.failed;
    on_done(i, r);
  };
  auto last_tick = Clock::now();
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && running.size() < parallel) {
      const std::size_t i = next++;
      std::string err;
      const pid_t pid = spawn(jobs[i], err);
      if (pid < 0) {
        ChildResult r;
        r.spawn_failed = true;
        r.spawn_error = err;
        finish(i, r);
      } else {
        running[pid] = {i, Clock::now()};
      }
      tick();
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      auto it = running.find(pid);
      if (it == running.end()) continue;  // not ours
      ChildResult r;
      r.seconds = std::chrono::duration<double>(Clock::now() - it->second.second).count();
      if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
      const std::size_t i = it->second.first;
      running.erase(it);
      finish(i, r);
      tick();
      last_tick = Clock::now();
      continue;
    }
    if (pid < 0 && errno == ECHILD) {  // our children are gone (someone else reaped them)
      for (const auto& [p, job] : running) {
        ChildResult r;
        r.spawn_failed = true;
        r.spawn_error = "lost track of the child process";
        finish(job.first, r);
      }
      running.clear();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (Clock::now() - last_tick > std::chrono::milliseconds(200)) {
      tick();
      last_tick = Clock::now();
    }
  }
}

std::string file_tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::deque<std::string> keep;
  std::string line;
  while (std::getline(in, line)) {
    keep.push_back(line);
    if (keep.size() > lines) keep.pop_front();
  }
  std::string out;
  for (const std::string& l : keep) out += l + "\n";
  return out;
}

std::string self_executable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  return buf;
}

unsigned default_jobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace iommusim
