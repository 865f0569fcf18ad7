// Resolved HOCON values (config/hocon/value.hpp): construction, the spec's "Automatic type
// conversions", path lookup ("Path expressions") and JSON output (RFC 8259).
#include "config/hocon/value.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace jvb::hocon {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strict JSON number grammar (RFC 8259 section 6).
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (is_digit(s[i])) {
    while (i < s.size() && is_digit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

// The numbers a string may hold for conversion: JSON's grammar loosened the way Java's
// parsers are (leading '+', leading zeros, ".5", "5."), as configurations written for JVB
// rely on that (`reduction-scale = .75`). Surrounding ASCII whitespace is ignored.
std::optional<std::string_view> numeric_text(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++int_digits;
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return s;
}

std::optional<double> parse_double(std::string_view s) {
  auto text = numeric_text(s);
  if (!text) return std::nullopt;
  std::string_view t = *text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double d = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  // Out of range is reported as such rather than as infinity.
  if (ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<std::int64_t> parse_whole(std::string_view s) {
  auto text = numeric_text(s);
  if (!text) return std::nullopt;
  std::string_view t = *text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  // Plain integers are read exactly; doubles lose precision beyond 2^53.
  if (t.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
    return n;
  }
  auto d = parse_double(t);
  // 2^63 itself does not fit; every double below it with no fraction does.
  if (!d || std::trunc(*d) != *d || *d < -9223372036854775808.0 || *d >= 9223372036854775808.0) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*d);
}

// An exact canonical form of a decimal number, so that numbers compare by value without
// the rounding or overflow of doubles: 42 == 42.0 == 4.2e1, and 1e400 == 01e400.
struct Decimal {
  bool negative = false;
  std::string digits;  // no leading or trailing zeros; empty for zero
  std::int64_t exponent = 0;
  bool operator==(const Decimal&) const = default;
};

std::optional<Decimal> canonical_decimal(std::string_view s) {
  auto text = numeric_text(s);
  if (!text) return std::nullopt;
  std::string_view t = *text;
  Decimal d;
  std::size_t i = 0;
  if (t[i] == '-' || t[i] == '+') d.negative = t[i++] == '-';
  std::int64_t exponent = 0;
  bool fraction = false;
  for (; i < t.size() && (is_digit(t[i]) || t[i] == '.'); ++i) {
    if (t[i] == '.') {
      fraction = true;
      continue;
    }
    d.digits += t[i];
    if (fraction) --exponent;
  }
  if (i < t.size()) {  // exponent part, validated by numeric_text
    ++i;
    bool negative_exponent = false;
    if (t[i] == '-' || t[i] == '+') negative_exponent = t[i++] == '-';
    std::string_view e = t.substr(i);
    while (e.size() > 1 && e.front() == '0') e.remove_prefix(1);
    if (e.size() > 15) return std::nullopt;  // beyond any real number; compare as text
    std::int64_t value = 0;
    for (char c : e) value = value * 10 + (c - '0');
    exponent += negative_exponent ? -value : value;
  }
  std::size_t first = d.digits.find_first_not_of('0');
  if (first == std::string::npos) return Decimal{};  // zero, whatever its sign
  d.digits.erase(0, first);
  while (d.digits.back() == '0') {
    d.digits.pop_back();
    ++exponent;
  }
  d.exponent = exponent;
  return d;
}

void append_json_string(std::string& out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_number(std::string& out, const std::string& text) {
  if (is_json_number(text)) {
    out += text;
    return;
  }
  // HOCON tolerates leading zeros ("007"); dropping them is exact, even where a double
  // would overflow.
  std::size_t digits = text.empty() || text[0] != '-' ? 0 : 1;
  std::size_t zeros = digits;
  while (zeros + 1 < text.size() && text[zeros] == '0' && is_digit(text[zeros + 1])) ++zeros;
  if (zeros > digits) {
    std::string trimmed = text.substr(0, digits) + text.substr(zeros);
    if (is_json_number(trimmed)) {
      out += trimmed;
      return;
    }
  }
  if (auto d = parse_double(text)) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    if (ec == std::errc()) {
      out.append(buf, ptr);
      return;
    }
  }
  // Not a number at all (cannot come from the parser): keep the text rather than lose it.
  append_json_string(out, text);
}

void write_json(std::string& out, const Value& v, int indent, int level) {
  auto newline = [&](int at) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * at), ' ');
  };
  switch (v.type()) {
    case Value::Type::kNull:
      out += "null";
      return;
    case Value::Type::kBoolean:
      out += v.to_bool().value_or(false) ? "true" : "false";
      return;
    case Value::Type::kNumber:
      append_json_number(out, v.text());
      return;
    case Value::Type::kString:
      append_json_string(out, v.text());
      return;
    case Value::Type::kArray: {
      const Array& items = *v.as_array();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        newline(level + 1);
        write_json(out, items[i], indent, level + 1);
      }
      newline(level);
      out += ']';
      return;
    }
    case Value::Type::kObject: {
      const Object& fields = *v.as_object();
      if (fields.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, child] : fields) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        append_json_string(out, key);
        out += indent < 0 ? ":" : ": ";
        write_json(out, child, indent, level + 1);
      }
      newline(level);
      out += '}';
      return;
    }
  }
}

// Splits a path expression such as `a.b."c.d"` (spec: "Path expressions"). Quoted segments
// use JSON escapes for '"' and '\'; empty unquoted segments make the path invalid.
std::optional<std::vector<std::string>> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::string current;
  bool has_content = false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '.') {
      if (!has_content) return std::nullopt;
      segments.push_back(std::move(current));
      current.clear();
      has_content = false;
    } else if (c == '"') {
      has_content = true;
      for (++i; i < path.size() && path[i] != '"'; ++i) {
        if (path[i] == '\\' && i + 1 < path.size()) ++i;
        current += path[i];
      }
      if (i >= path.size()) return std::nullopt;
    } else {
      current += c;
      has_content = true;
    }
  }
  if (!has_content) return std::nullopt;
  segments.push_back(std::move(current));
  return segments;
}

}  // namespace

Value Value::boolean(bool b) {
  Value v;
  v.type_ = Type::kBoolean;
  v.bool_ = b;
  return v;
}

Value Value::number(std::string text) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::move(text);
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::array(Array items) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::object(Object fields) {
  Value v;
  v.type_ = Type::kObject;
  v.object_ = std::move(fields);
  return v;
}

const Array* Value::as_array() const { return type_ == Type::kArray ? &array_ : nullptr; }

const Object* Value::as_object() const { return type_ == Type::kObject ? &object_ : nullptr; }

std::optional<bool> Value::to_bool() const {
  if (type_ == Type::kBoolean) return bool_;
  if (type_ != Type::kString) return std::nullopt;
  if (text_ == "true" || text_ == "yes" || text_ == "on") return true;
  if (text_ == "false" || text_ == "no" || text_ == "off") return false;
  return std::nullopt;
}

std::optional<double> Value::to_double() const {
  if (type_ != Type::kNumber && type_ != Type::kString) return std::nullopt;
  return parse_double(text_);
}

std::optional<std::int64_t> Value::to_int() const {
  if (type_ != Type::kNumber && type_ != Type::kString) return std::nullopt;
  return parse_whole(text_);
}

std::optional<std::string> Value::to_string() const {
  switch (type_) {
    case Type::kString:
    case Type::kNumber:
      return text_;
    case Type::kBoolean:
      return std::string(bool_ ? "true" : "false");
    default:
      return std::nullopt;
  }
}

const Value* Value::find(std::string_view path) const {
  auto segments = split_path(path);
  if (!segments) return nullptr;
  const Value* v = this;
  for (const std::string& segment : *segments) {
    const Object* o = v->as_object();
    if (!o) return nullptr;
    auto it = o->find(segment);
    if (it == o->end()) return nullptr;
    v = &it->second;
  }
  return v;
}

std::string Value::to_json() const {
  std::string out;
  write_json(out, *this, -1, 0);
  return out;
}

std::string Value::to_pretty_json() const {
  std::string out;
  write_json(out, *this, 2, 0);
  return out;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kBoolean:
      return a.bool_ == b.bool_;
    case Value::Type::kString:
      return a.text_ == b.text_;
    case Value::Type::kNumber: {
      if (a.text_ == b.text_) return true;
      auto ca = canonical_decimal(a.text_);
      auto cb = canonical_decimal(b.text_);
      return ca && cb && *ca == *cb;
    }
    case Value::Type::kArray:
      return a.array_ == b.array_;
    case Value::Type::kObject:
      return a.object_ == b.object_;
  }
  return false;
}

}  // namespace jvb::hocon
