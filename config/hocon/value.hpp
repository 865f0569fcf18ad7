// A resolved HOCON value: the tree that remains after parsing, merging and substitution
// (HOCON spec, "Syntax" and "Automatic type conversions"). Immutable once built; cheap to
// copy only for scalars, so pass trees by reference.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jvb::hocon {

class Value;
using Array = std::vector<Value>;
// Sorted by key: HOCON objects are unordered, and a stable order keeps printed output
// reproducible.
using Object = std::map<std::string, Value, std::less<>>;

class Value {
 public:
  enum class Type { kNull, kBoolean, kNumber, kString, kArray, kObject };

  Value() = default;  // null
  static Value boolean(bool b);
  // `text` is the number exactly as written (`3`, `1e5`, `42.10`): concatenation and
  // string conversion must reproduce it verbatim.
  static Value number(std::string text);
  static Value string(std::string s);
  static Value array(Array items);
  static Value object(Object fields);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }

  // Scalar text: a string's contents or a number's original text; empty otherwise.
  const std::string& text() const { return text_; }
  const Array* as_array() const;
  const Object* as_object() const;

  // Conversions HOCON defines between scalar types. Each returns nullopt where the spec
  // has no conversion (e.g. "abc" to a number, an object to a string).
  std::optional<bool> to_bool() const;           // true/false, "true"/"yes"/"on"/"false"/"no"/"off"
  std::optional<double> to_double() const;       // a number, or a string holding one
  std::optional<std::int64_t> to_int() const;    // as to_double, but only whole numbers in range
  std::optional<std::string> to_string() const;  // string, number text, "true"/"false"; not null

  // Looks up a path expression such as `a.b."c.d"` (quoted segments may hold dots).
  // Returns nullptr when any segment is missing or is not an object.
  const Value* find(std::string_view path) const;

  // Compact JSON. Strings are escaped per RFC 8259; numbers are printed from their text
  // when that text is valid JSON, otherwise from their numeric value.
  std::string to_json() const;
  // Indented JSON (two spaces), for humans.
  std::string to_pretty_json() const;

  // Structural equality; numbers compare by value (42 == 42.0), not by text.
  friend bool operator==(const Value& a, const Value& b);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  Array array_;
  Object object_;
};

}  // namespace jvb::hocon
