#include "trace/event_format.h"

#include <fmt/format.h>

namespace iommusim {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_dec(char c) { return c >= '0' && c <= '9'; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Matcher {
 public:
  Matcher(std::string_view text, std::string_view pattern, std::vector<EventField>& fields)
      : t_(text), p_(pattern), fields_(fields) {}

  std::optional<std::string> run() {
    fields_.clear();
    size_t pi = 0;
    while (pi < p_.size()) {
      const char c = p_[pi];
      if (c == ' ') {
        word_pi_ = std::string_view::npos;
        if (ti_ >= t_.size() || !is_blank(t_[ti_])) return expected("a blank");
        while (ti_ < t_.size() && is_blank(t_[ti_])) ++ti_;
        ++pi;
        continue;
      }
      if (c != '%' || pi + 1 >= p_.size()) {
        if (pi == 0 || p_[pi - 1] == ' ' || word_pi_ == std::string_view::npos) {
          word_pi_ = pi;  // a literal word begins: report mismatches from its start
          word_ti_ = ti_;
        }
        if (ti_ >= t_.size() || t_[ti_] != c) {
          size_t end = word_pi_;
          while (end < p_.size() && p_[end] != ' ' && p_[end] != '%') ++end;
          ti_ = word_ti_;
          return expected(fmt::format("'{}'", p_.substr(word_pi_, end - word_pi_)));
        }
        ++ti_;
        ++pi;
        continue;
      }
      word_pi_ = std::string_view::npos;
      const char conv = p_[pi + 1];
      const char next = pi + 2 < p_.size() ? p_[pi + 2] : '\0';
      pi += 2;
      std::optional<std::string> err;
      switch (conv) {
        case 'x': err = number(16, false); break;
        case 'u': err = number(10, false); break;
        case 'd': err = number(10, true); break;
        case 's': string(next); break;
        case 'a': err = array(); break;
        case '*':
          fields_.push_back(EventField{0, t_.substr(ti_), {}});
          ti_ = t_.size();
          break;
        default: return fmt::format("bad pattern conversion '%{}'", conv);
      }
      if (err) return err;
    }
    if (ti_ != t_.size()) return expected("the end of the line");
    return std::nullopt;
  }

 private:
  std::string found() const {
    if (ti_ >= t_.size()) return "the end of the line";
    std::string_view rest = t_.substr(ti_, 24);
    return fmt::format("'{}{}'", rest, t_.size() - ti_ > 24 ? "..." : "");
  }
  std::string expected(const std::string& what) const {
    return fmt::format("at column {}: expected {}, found {}", ti_ + 1, what, found());
  }

  // Reads digits of `base` at ti_; a '-' first when `sign`.
  std::optional<std::string> number(unsigned base, bool sign) {
    const size_t start = ti_;
    bool neg = false;
    if (sign && ti_ < t_.size() && t_[ti_] == '-') {
      neg = true;
      ++ti_;
    }
    uint64_t v = 0;
    size_t digits = 0;
    bool overflow = false;
    while (ti_ < t_.size()) {
      const int d = base == 16 ? hex_value(t_[ti_]) : (is_dec(t_[ti_]) ? t_[ti_] - '0' : -1);
      if (d < 0) break;
      if (v > (UINT64_MAX - unsigned(d)) / base) overflow = true;
      v = v * base + unsigned(d);
      ++ti_;
      ++digits;
    }
    if (digits == 0) {
      ti_ = start;
      return expected(base == 16 ? "a hex number" : "a decimal number");
    }
    if (overflow) {
      ti_ = start;
      return expected("a number that fits in 64 bits");
    }
    fields_.push_back(EventField{neg ? uint64_t(0) - v : v, t_.substr(start, ti_ - start), {}});
    return std::nullopt;
  }

  void string(char next) {
    const bool stop_at_next = next != '\0' && next != ' ' && next != '%';
    const size_t start = ti_;
    while (ti_ < t_.size() && !is_blank(t_[ti_]) && !(stop_at_next && t_[ti_] == next)) ++ti_;
    fields_.push_back(EventField{0, t_.substr(start, ti_ - start), {}});
  }

  std::optional<std::string> array() {
    const size_t start = ti_;
    if (ti_ >= t_.size() || t_[ti_] != '{') return expected("'{' (an array)");
    ++ti_;
    EventField f;
    if (ti_ < t_.size() && t_[ti_] == '}') {
      ++ti_;
    } else {
      while (true) {
        if (t_.substr(ti_, 2) != "0x") return expected("'0x' (an array element)");
        ti_ += 2;
        if (auto err = number(16, false)) return err;
        f.array.push_back(fields_.back().num);
        fields_.pop_back();
        if (ti_ < t_.size() && t_[ti_] == ',') {
          ++ti_;
          continue;
        }
        if (ti_ < t_.size() && t_[ti_] == '}') {
          ++ti_;
          break;
        }
        return expected("',' or '}'");
      }
    }
    f.text = t_.substr(start, ti_ - start);
    fields_.push_back(std::move(f));
    return std::nullopt;
  }

  std::string_view t_, p_;
  std::vector<EventField>& fields_;
  size_t ti_ = 0;
  size_t word_pi_ = std::string_view::npos, word_ti_ = 0;  // the current literal word's start
};

}  // namespace

std::optional<std::string> match_event_format(std::string_view text, std::string_view pattern,
                                              std::vector<EventField>& fields) {
  return Matcher(text, pattern, fields).run();
}

}  // namespace iommusim
