// HOCON's "Units format", "Duration format" and "Size in bytes format": a number, optional
// whitespace, then an optional unit made of letters. A bare number uses the family's default
// unit (milliseconds, bytes).
#include "config/hocon/units.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>

namespace jvb::hocon {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Quantity {
  bool negative = false;
  bool whole = true;            // no fraction or exponent: read exactly
  std::uint64_t magnitude = 0;  // when whole
  long double value = 0;        // always
  std::string unit;
};

// Splits "  2.5 h " into its number and unit. nullopt when the text has another shape.
std::optional<Quantity> split_quantity(const Value& v) {
  if (v.type() != Value::Type::kNumber && v.type() != Value::Type::kString) return std::nullopt;
  std::string_view s = v.text();
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  Quantity q;
  // A number value is never followed by a unit: `1e5` is a number, not 1 with unit "e5".
  std::size_t unit_start = s.size();
  if (v.type() == Value::Type::kString) {
    while (unit_start > 0 && is_letter(s[unit_start - 1])) --unit_start;
  }
  q.unit = std::string(s.substr(unit_start));
  std::string_view number = s.substr(0, unit_start);
  while (!number.empty() && is_space(number.back())) number.remove_suffix(1);
  std::size_t i = 0;
  if (i < number.size() && (number[i] == '+' || number[i] == '-')) {
    q.negative = number[i] == '-';
    ++i;
  }
  std::string_view digits = number.substr(i);
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (!is_digit(c)) q.whole = false;
  }
  // Grammar check: digits with an optional fraction and exponent, nothing else.
  std::size_t k = 0;
  std::size_t int_digits = 0;
  while (k < digits.size() && is_digit(digits[k])) ++k, ++int_digits;
  std::size_t frac_digits = 0;
  if (k < digits.size() && digits[k] == '.') {
    ++k;
    while (k < digits.size() && is_digit(digits[k])) ++k, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (k < digits.size() && (digits[k] == 'e' || digits[k] == 'E')) {
    ++k;
    if (k < digits.size() && (digits[k] == '+' || digits[k] == '-')) ++k;
    std::size_t exp_start = k;
    while (k < digits.size() && is_digit(digits[k])) ++k;
    if (k == exp_start) return std::nullopt;
  }
  if (k != digits.size()) return std::nullopt;
  if (q.whole) {
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), q.magnitude);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
    q.value = static_cast<long double>(q.magnitude);
  } else {
    double d = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(d)) {
      return std::nullopt;
    }
    q.value = d;
  }
  if (q.negative) q.value = -q.value;
  return q;
}

// Nanoseconds per unit, 0 for an unknown unit. Case-sensitive, as the spec requires; no
// unit at all means milliseconds.
std::int64_t duration_unit(std::string_view u) {
  constexpr std::int64_t kUs = 1000;
  constexpr std::int64_t kMs = 1000 * kUs;
  constexpr std::int64_t kS = 1000 * kMs;
  struct Unit {
    std::string_view name;
    std::int64_t nanos;
  };
  static constexpr Unit kUnits[] = {
      {"", kMs},
      {"ns", 1},
      {"nano", 1},
      {"nanos", 1},
      {"nanosecond", 1},
      {"nanoseconds", 1},
      {"us", kUs},
      {"micro", kUs},
      {"micros", kUs},
      {"microsecond", kUs},
      {"microseconds", kUs},
      {"ms", kMs},
      {"milli", kMs},
      {"millis", kMs},
      {"millisecond", kMs},
      {"milliseconds", kMs},
      {"s", kS},
      {"second", kS},
      {"seconds", kS},
      {"m", 60 * kS},
      {"minute", 60 * kS},
      {"minutes", 60 * kS},
      {"h", 3600 * kS},
      {"hour", 3600 * kS},
      {"hours", 3600 * kS},
      {"d", 86400 * kS},
      {"day", 86400 * kS},
      {"days", 86400 * kS},
  };
  for (const Unit& unit : kUnits) {
    if (unit.name == u) return unit.nanos;
  }
  return 0;
}

}  // namespace

std::optional<std::chrono::nanoseconds> to_duration(const Value& v) {
  auto q = split_quantity(v);
  if (!q) return std::nullopt;
  std::int64_t per_unit = duration_unit(q->unit);
  if (per_unit == 0) return std::nullopt;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (q->whole) {
    if (q->magnitude > static_cast<std::uint64_t>(kMax / per_unit)) return std::nullopt;
    auto n = static_cast<std::int64_t>(q->magnitude) * per_unit;
    return std::chrono::nanoseconds(q->negative ? -n : n);
  }
  long double n = std::trunc(q->value * static_cast<long double>(per_unit));
  if (!(n > -9223372036854775808.0L && n < 9223372036854775808.0L)) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(n));
}

std::optional<std::uint64_t> to_size_bytes(const Value& v) {
  auto q = split_quantity(v);
  if (!q) return std::nullopt;
  struct Unit {
    std::string_view names[6];
    int base;  // 10 or 2
    int power;
  };
  // Spec, "Size in bytes format": the single letters and the -bi- names are powers of two.
  static constexpr Unit kUnits[] = {
      {{"B", "b", "byte", "bytes", "", ""}, 10, 0},
      {{"kB", "kilobyte", "kilobytes", "", "", ""}, 10, 3},
      {{"MB", "megabyte", "megabytes", "", "", ""}, 10, 6},
      {{"GB", "gigabyte", "gigabytes", "", "", ""}, 10, 9},
      {{"TB", "terabyte", "terabytes", "", "", ""}, 10, 12},
      {{"PB", "petabyte", "petabytes", "", "", ""}, 10, 15},
      {{"EB", "exabyte", "exabytes", "", "", ""}, 10, 18},
      {{"ZB", "zettabyte", "zettabytes", "", "", ""}, 10, 21},
      {{"YB", "yottabyte", "yottabytes", "", "", ""}, 10, 24},
      {{"K", "k", "Ki", "KiB", "kibibyte", "kibibytes"}, 2, 10},
      {{"M", "m", "Mi", "MiB", "mebibyte", "mebibytes"}, 2, 20},
      {{"G", "g", "Gi", "GiB", "gibibyte", "gibibytes"}, 2, 30},
      {{"T", "t", "Ti", "TiB", "tebibyte", "tebibytes"}, 2, 40},
      {{"P", "p", "Pi", "PiB", "pebibyte", "pebibytes"}, 2, 50},
      {{"E", "e", "Ei", "EiB", "exbibyte", "exbibytes"}, 2, 60},
      {{"Z", "z", "Zi", "ZiB", "zebibyte", "zebibytes"}, 2, 70},
      {{"Y", "y", "Yi", "YiB", "yobibyte", "yobibytes"}, 2, 80},
  };
  const Unit* unit = nullptr;
  if (q->unit.empty()) {
    unit = &kUnits[0];
  } else {
    for (const Unit& candidate : kUnits) {
      for (std::string_view name : candidate.names) {
        if (!name.empty() && name == q->unit) unit = &candidate;
      }
    }
  }
  if (!unit) return std::nullopt;
  if (q->negative && q->value != 0) return std::nullopt;
  long double factor = unit->base == 2 ? std::ldexp(1.0L, unit->power)
                                       : std::pow(10.0L, static_cast<long double>(unit->power));
  constexpr long double kLimit = 18446744073709551616.0L;  // 2^64
  if (q->whole) {
    // Exact integer arithmetic where the factor fits in 64 bits (up to EiB / EB).
    if (factor >= kLimit) {
      if (q->magnitude == 0) return std::uint64_t{0};
      return std::nullopt;
    }
    auto f = static_cast<std::uint64_t>(factor);
    if (q->magnitude != 0 && f > std::numeric_limits<std::uint64_t>::max() / q->magnitude) {
      return std::nullopt;
    }
    return q->magnitude * f;
  }
  long double bytes = std::trunc(q->value * factor);
  if (!(bytes >= 0 && bytes < kLimit)) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace jvb::hocon
