// Errors in user input (config, trace, DMAR table, register access).
//
// The message is complete and user-facing: it names the input (file), the place
// (line, key path, byte offset) and the problem, e.g.
//   "run.trace:12: unknown op 'dma_x'".
// The command-line program prints it on one line and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace iommusim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace iommusim
