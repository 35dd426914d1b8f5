#include "trace/trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "common/error.h"

namespace iommusim {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kHeader = "iommusim-trace 1";
constexpr std::string_view kSpace = " \t\r\v\f";
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr Addr kMsiBase = 0xFEE00000, kMsiLast = 0xFEEFFFFF;

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while ((i = s.find_first_not_of(kSpace, i)) != std::string_view::npos) {
    size_t e = std::min(s.find_first_of(kSpace, i), s.size());
    out.push_back(s.substr(i, e - i));
    i = e;
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decimal or 0x hex into 64 bits.
enum class NumStatus { Ok, Bad, Overflow };
NumStatus parse_u64(std::string_view s, uint64_t& out) {
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return NumStatus::Bad;
  uint64_t v = 0;
  bool overflow = false;
  for (char c : s) {
    unsigned d;
    if (is_digit(c)) d = static_cast<unsigned>(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return NumStatus::Bad;
    if (v > (kU64Max - d) / base) overflow = true;
    v = v * base + d;
  }
  if (overflow) return NumStatus::Overflow;
  out = v;
  return NumStatus::Ok;
}

// Decimal nanoseconds with an optional fraction into picoseconds.
// Returns an error message, or nothing on success.
std::optional<std::string> parse_ns(std::string_view s, Tick& out) {
  std::string_view body = s.substr(s.empty() || s[0] != '+' ? 0 : 1);
  if (body.size() >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'))
    return fmt::format("bad time '{}': hex is not allowed, times are decimal nanoseconds", s);
  size_t dot = body.find('.');
  std::string_view whole = body.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : body.substr(dot + 1);
  auto all_digits = [](std::string_view d) {
    return !d.empty() && std::all_of(d.begin(), d.end(), is_digit);
  };
  if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(frac)))
    return fmt::format("bad time '{}': expected decimal nanoseconds, e.g. 1500 or 12.5", s);
  if (frac.size() > 3 && frac.find_first_not_of('0', 3) != std::string_view::npos)
    return fmt::format("time '{}' is below the 1 ps resolution", s);
  Tick ps = 0;
  for (size_t i = 0; i < 3; ++i) ps = ps * 10 + (i < frac.size() ? Tick(frac[i] - '0') : 0);
  uint64_t ns;
  if (parse_u64(whole, ns) != NumStatus::Ok || ns > (kU64Max - ps) / kPsPerNs)
    return fmt::format("time '{}' does not fit in 64-bit picoseconds", s);
  out = ns * kPsPerNs + ps;
  return std::nullopt;
}

std::string errno_text() { return std::strerror(errno); }

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;
FilePtr open_for_read(const std::string& path) {
  return FilePtr(std::fopen(path.c_str(), "rb"), &std::fclose);
}

struct KeySpec {
  std::vector<std::string_view> required, optional;
};

const KeySpec& keys_of(TraceOp op) {
  static const std::vector<std::string_view> dev_opts = {"pasid", "priv", "exec", "at"};
  static const std::map<TraceOp, KeySpec> specs = {
      {TraceOp::MmioW, {{"addr", "size", "data"}, {}}},
      {TraceOp::MmioR, {{"addr", "size"}, {}}},
      {TraceOp::MemW, {{"addr", "size", "data"}, {}}},
      {TraceOp::MemR, {{"addr", "size"}, {}}},
      {TraceOp::Load, {{"addr", "file"}, {}}},
      {TraceOp::Map, {{"dev", "iova", "pa", "size", "perm"}, {}}},
      {TraceOp::Unmap, {{"dev", "iova", "size"}, {}}},
      {TraceOp::DmaR, {{"addr", "size"}, dev_opts}},
      {TraceOp::DmaW, {{"addr", "size"}, dev_opts}},
      {TraceOp::Msi, {{"addr", "data"}, dev_opts}},
      {TraceOp::Ats, {{"addr", "size"}, dev_opts}},
  };
  return specs.at(op);
}

// Parses the key=value part of one record into `r` (op and source already set).
class RecordParser {
 public:
  RecordParser(const std::string& name, uint32_t line, const std::string& base_dir,
               TraceRecord& r)
      : name_(name), line_(line), base_dir_(base_dir), r_(r) {}

  void parse(const std::vector<std::string_view>& tokens) {
    collect(tokens);
    switch (r_.op) {
      case TraceOp::MmioW:
      case TraceOp::MmioR: mmio(); break;
      case TraceOp::MemW:
      case TraceOp::MemR: mem(); break;
      case TraceOp::Load: load(); break;
      case TraceOp::Map:
      case TraceOp::Unmap: map_unmap(); break;
      case TraceOp::DmaR:
      case TraceOp::DmaW:
      case TraceOp::Ats:
        r_.addr = num("addr");
        r_.size = num("size");
        if (r_.size == 0) fail("size must be at least 1");
        check_range("addr", r_.addr, r_.size);
        break;
      case TraceOp::Msi: msi(); break;
    }
    if (!is_host_op(r_.op)) device_options();
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw InputError(fmt::format("{}:{}: {}: {}", name_, line_, op_name(r_.op), msg));
  }

  void collect(const std::vector<std::string_view>& tokens) {
    const KeySpec& spec = keys_of(r_.op);
    auto known = [&](std::string_view k) {
      return std::count(spec.required.begin(), spec.required.end(), k) +
                 std::count(spec.optional.begin(), spec.optional.end(), k) > 0;
    };
    for (size_t i = 3; i < tokens.size(); ++i) {
      std::string_view t = tokens[i];
      size_t eq = t.find('=');
      if (eq == std::string_view::npos || eq == 0)
        fail(fmt::format("expected key=value, got '{}'", t));
      std::string_view key = t.substr(0, eq), value = t.substr(eq + 1);
      if (!known(key)) fail(fmt::format("unknown key '{}'", key));
      if (find(key)) fail(fmt::format("duplicate key '{}'", key));
      if (value.empty()) fail(fmt::format("empty value for key '{}'", key));
      kv_.emplace_back(key, value);
    }
    for (std::string_view k : spec.required)
      if (!find(k)) fail(fmt::format("missing required key '{}'", k));
  }

  std::optional<std::string_view> find(std::string_view key) const {
    for (const auto& [k, v] : kv_)
      if (k == key) return v;
    return std::nullopt;
  }

  uint64_t num(std::string_view key) const {
    std::string_view v = *find(key);
    uint64_t out = 0;
    switch (parse_u64(v, out)) {
      case NumStatus::Ok: break;
      case NumStatus::Bad: fail(fmt::format("bad number '{}' for key '{}'", v, key));
      case NumStatus::Overflow:
        fail(fmt::format("number '{}' for key '{}' does not fit in 64 bits", v, key));
    }
    return out;
  }

  // [a, a + size) must lie within the 64-bit address space.
  void check_range(std::string_view key, Addr a, uint64_t size) const {
    if (size > 0 && size - 1 > kU64Max - a)
      fail(fmt::format("{} {:#x} + size {} overflows the 64-bit address space", key, a, size));
  }

  void check_data_fits(uint64_t size) const {
    if (size < 8 && r_.data >> (8 * size) != 0)
      fail(fmt::format("data {:#x} does not fit in {} bytes", r_.data, size));
  }

  void mmio() {
    r_.addr = num("addr");
    r_.size = num("size");
    if (r_.size != 4 && r_.size != 8) fail(fmt::format("size must be 4 or 8, got {}", r_.size));
    if (r_.addr % r_.size != 0)
      fail(fmt::format("addr {:#x} is not aligned to size {}", r_.addr, r_.size));
    check_range("addr", r_.addr, r_.size);
    if (r_.op == TraceOp::MmioW) {
      r_.data = num("data");
      check_data_fits(r_.size);
    }
  }

  void mem() {
    r_.addr = num("addr");
    r_.size = num("size");
    if (r_.size < 1 || r_.size > 8) fail(fmt::format("size must be 1..8, got {}", r_.size));
    check_range("addr", r_.addr, r_.size);
    if (r_.op == TraceOp::MemW) {
      r_.data = num("data");
      check_data_fits(r_.size);
    }
  }

  void load() {
    r_.addr = num("addr");
    r_.file = (fs::path(base_dir_) / fs::path(std::string(*find("file")))).string();
    if (!open_for_read(r_.file)) fail(fmt::format("cannot open '{}': {}", r_.file, errno_text()));
    std::error_code ec;
    if (!fs::is_regular_file(r_.file, ec)) fail(fmt::format("'{}' is not a regular file", r_.file));
    r_.size = fs::file_size(r_.file, ec);
    if (ec) fail(fmt::format("cannot read '{}': {}", r_.file, ec.message()));
    check_range("addr", r_.addr, r_.size);
  }

  void map_unmap() {
    std::string_view dev = *find("dev");
    auto bdf = parse_bdf(dev);
    if (!bdf) fail(fmt::format("bad BDF '{}' for key 'dev'", dev));
    r_.dev = *bdf;
    r_.iova = num("iova");
    r_.size = num("size");
    if (r_.size == 0) fail("size must be at least 1");
    check_range("iova", r_.iova, r_.size);
    if (r_.op == TraceOp::Unmap) return;
    r_.pa = num("pa");
    check_range("pa", r_.pa, r_.size);
    std::string_view perm = *find("perm");
    if (perm == "r") r_.perm = kPermRead;
    else if (perm == "w") r_.perm = kPermWrite;
    else if (perm == "rw") r_.perm = kPermRead | kPermWrite;
    else fail(fmt::format("perm must be r, w or rw, got '{}'", perm));
  }

  void msi() {
    r_.addr = num("addr");
    r_.data = num("data");
    r_.size = 4;
    if (r_.addr < kMsiBase || r_.addr > kMsiLast)
      fail(fmt::format("addr {:#x} is outside the MSI window {:#x}-{:#x}", r_.addr, kMsiBase,
                       kMsiLast));
    if (r_.addr % 4 != 0) fail(fmt::format("addr {:#x} is not 4-byte aligned", r_.addr));
    if (r_.data >> 32 != 0) fail(fmt::format("data {:#x} does not fit in 32 bits", r_.data));
  }

  bool flag(std::string_view key) const {
    auto v = find(key);
    if (!v) return false;
    if (*v != "0" && *v != "1") fail(fmt::format("{} must be 0 or 1, got '{}'", key, *v));
    if (!r_.has_pasid) fail(fmt::format("{} requires pasid", key));
    return *v == "1";
  }

  void device_options() {
    if (find("pasid")) {
      uint64_t p = num("pasid");
      if (p >= (1u << 20)) fail(fmt::format("pasid {} does not fit in 20 bits", p));
      r_.has_pasid = true;
      r_.pasid = static_cast<uint32_t>(p);
    }
    r_.priv = flag("priv");
    r_.exec = flag("exec");
    if (auto at = find("at")) {
      if (*at == "translated") r_.translated = true;
      else if (*at != "untranslated")
        fail(fmt::format("at must be 'translated' or 'untranslated', got '{}'", *at));
    }
  }

  const std::string& name_;
  uint32_t line_;
  const std::string& base_dir_;
  TraceRecord& r_;
  std::vector<std::pair<std::string_view, std::string_view>> kv_;
};

// Key for per-source relative times: host is -1, devices segment:rid.
int64_t source_key(const TraceRecord& r) {
  return r.host ? -1 : int64_t(r.source.segment) << 16 | r.source.rid();
}

}  // namespace

std::vector<Bdf> Trace::devices() const {
  std::vector<Bdf> out;
  for (const TraceRecord& r : records) {
    if (!r.host) out.push_back(r.source);
    if (r.op == TraceOp::Map || r.op == TraceOp::Unmap) out.push_back(r.dev);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Trace parse_trace(std::string_view text, const std::string& name, const std::string& base_dir) {
  Trace trace;
  trace.path = name;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  std::map<int64_t, Tick> last_time;
  bool have_header = false;
  uint32_t lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = std::min(text.find('\n', pos), text.size());
    std::string_view line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++lineno;
    auto fail = [&](const std::string& msg) {
      throw InputError(fmt::format("{}:{}: {}", name, lineno, msg));
    };
    if (line.empty() || line[0] == '#') continue;
    if (!have_header) {
      if (line != kHeader) fail(fmt::format("expected header '{}'", kHeader));
      have_header = true;
      continue;
    }
    auto tokens = split_tokens(line);
    if (tokens.size() < 3) fail("expected '<time> <source> <op> [key=value ...]'");

    TraceRecord r;
    r.seq = trace.records.size();
    r.line = lineno;
    Tick t = 0;
    if (auto err = parse_ns(tokens[0], t)) fail(*err);
    if (tokens[1] == "host") {
      r.host = true;
    } else if (auto bdf = parse_bdf(tokens[1])) {
      r.source = *bdf;
    } else {
      fail(fmt::format("unknown source '{}': expected 'host' or a BDF like 00:03.0",
                       tokens[1]));
    }
    auto op = parse_op(tokens[2]);
    if (!op) fail(fmt::format("unknown op '{}'", tokens[2]));
    r.op = *op;
    if (is_host_op(r.op) && !r.host)
      fail(fmt::format("{}: host op from device source {}", op_name(r.op), r.source.str()));
    if (!is_host_op(r.op) && r.host)
      fail(fmt::format("{}: device op from source host", op_name(r.op)));

    Tick& last = last_time[source_key(r)];
    if (tokens[0][0] == '+') {
      if (t > kU64Max - last)
        fail(fmt::format("time '{}' does not fit in 64-bit picoseconds", tokens[0]));
      t += last;
    }
    r.time = last = t;

    RecordParser(name, lineno, base_dir, r).parse(tokens);
    trace.records.push_back(std::move(r));
  }
  if (!have_header)
    throw InputError(fmt::format("{}:{}: expected header '{}'", name, lineno, kHeader));
  return trace;
}

Trace read_trace_file(const std::string& path) {
  FilePtr f = open_for_read(path);
  if (!f) throw InputError(fmt::format("{}: cannot open: {}", path, errno_text()));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
  if (std::ferror(f.get()))
    throw InputError(fmt::format("{}: cannot read: {}", path, errno_text()));
  return parse_trace(text, path, fs::path(path).parent_path().string());
}

}  // namespace iommusim
