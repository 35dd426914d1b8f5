// Helpers for system tests: run the iommusim binary, read files, temp folders.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace iommusim::test {

struct CliResult {
  int status;       // exit code
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string source_dir() { return IOMMUSIM_SOURCE_DIR; }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A fresh temporary folder for one test.
inline std::string temp_dir() {
  char tmpl[] = "/tmp/iommusim-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

// Runs `iommusim ARGS` from the source folder; stdout and stderr captured.
inline CliResult run_cli(const std::string& args) {
  const std::string dir = temp_dir();
  const std::string cmd = "cd '" + source_dir() + "' && '" + IOMMUSIM_BINARY + "' " + args + " >'" + dir +
                          "/stdout' 2>'" + dir + "/stderr'";
  const int rc = std::system(cmd.c_str());
  CliResult r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(dir + "/stdout"), slurp(dir + "/stderr")};
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace iommusim::test
