// RawJsonObject: finds the top-level `from` member in already-validated JSON text and splices a
// new value into it (EndpointMessage/EndpointStats are relayed with unknown fields and field
// values kept exactly; only `from` is overwritten).
#include "bridge/channel/raw_json_object.hpp"

#include <exception>

#include "bridge/channel/json_dom.hpp"
#include "bridge/channel/json_text.hpp"

namespace jvb::channel {
namespace {

constexpr std::size_t kNone = std::string_view::npos;
constexpr std::string_view kFrom = "from";

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_ws(std::string_view t, std::size_t i) {
  while (i < t.size() && is_ws(t[i])) ++i;
  return i;
}

// `i` is at an opening quote; returns the index just past the closing quote.
std::size_t skip_string(std::string_view t, std::size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return kNone;
}

// `i` is at the first character of a value; returns the index just past it. Containers are
// skipped by counting brackets outside strings, which is enough for text that already parsed.
std::size_t skip_value(std::string_view t, std::size_t i) {
  if (i >= t.size()) return kNone;
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    std::size_t depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = skip_string(t, i);
        if (i == kNone) return kNone;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return kNone;
  }
  while (i < t.size() && !is_ws(t[i]) && t[i] != ',' && t[i] != '}' && t[i] != ']') ++i;
  return i;
}

// A string literal (quotes included) decoded; escapes are rare in keys, so the general decoder
// is only used when there is one.
std::optional<std::string> decode_string(std::string_view literal) {
  if (literal.find('\\') == std::string_view::npos) return std::string(literal.substr(1, literal.size() - 2));
  auto j = nlohmann::json::parse(literal.begin(), literal.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_string()) return std::nullopt;
  return j.get_ref<const std::string&>();
}

}  // namespace

RawJsonObject::RawJsonObject() : text_("{}") {}

std::optional<RawJsonObject> detail::RawJsonObjectFactory::from_validated(std::string_view json) {
  try {
    // A UTF-8 BOM is the only thing besides whitespace that the parser accepts around the object.
    std::size_t begin = 0;
    if (json.substr(0, 3) == "\xEF\xBB\xBF") begin = 3;
    begin = skip_ws(json, begin);
    std::size_t end = json.size();
    while (end > begin && is_ws(json[end - 1])) --end;
    if (begin >= end || json[begin] != '{' || json[end - 1] != '}') return std::nullopt;

    RawJsonObject out;
    out.text_.assign(json.substr(begin, end - begin));
    const std::string_view t = out.text_;

    std::size_t i = skip_ws(t, 1);
    if (i < t.size() && t[i] == '}') return out;
    out.has_members_ = true;
    while (true) {
      if (i >= t.size() || t[i] != '"') return std::nullopt;
      const std::size_t key_end = skip_string(t, i);
      if (key_end == kNone) return std::nullopt;
      const std::string_view key = t.substr(i, key_end - i);
      i = skip_ws(t, key_end);
      if (i >= t.size() || t[i] != ':') return std::nullopt;
      const std::size_t value_begin = skip_ws(t, i + 1);
      const std::size_t value_end = skip_value(t, value_begin);
      if (value_end == kNone) return std::nullopt;
      // Cheap filter first: "from" written with escapes is at most 26 bytes long.
      if (key.size() <= 26 && decode_string(key) == kFrom) {
        out.from_value_ = std::make_pair(value_begin, value_end);
        const std::string_view value = t.substr(value_begin, value_end - value_begin);
        out.from_ = value.front() == '"' ? decode_string(value) : std::nullopt;
      }
      i = skip_ws(t, value_end);
      if (i >= t.size()) return std::nullopt;
      if (t[i] == '}') break;
      if (t[i] != ',') return std::nullopt;
      i = skip_ws(t, i + 1);
    }
    if (skip_ws(t, i + 1) != t.size()) return std::nullopt;
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // allocation failure
  }
}

Result<RawJsonObject, ParseError> RawJsonObject::parse(std::string_view json) {
  auto tree = detail::parse_json_bounded(json);
  if (!tree) return unexpected(std::move(tree.error()));
  if (!tree->is_object())
    return unexpected(ParseError{ParseErrorCategory::kNotAnObject, "not a JSON object"});
  auto raw = detail::RawJsonObjectFactory::from_validated(json);
  // Unreachable for text the parser accepted; reported rather than assumed.
  if (!raw) return unexpected(ParseError{ParseErrorCategory::kInvalidJson, "object not recognised"});
  return std::move(*raw);
}

std::string relay_with_from(const RawJsonObject& object, std::string_view from) {
  const std::string_view t = object.text_;
  std::string quoted;
  detail::append_json_string(quoted, from);
  std::string out;
  out.reserve(t.size() + quoted.size() + 9);
  if (object.from_value_) {
    const auto [begin, end] = *object.from_value_;
    out.append(t.substr(0, begin));
    out += quoted;
    out.append(t.substr(end));
  } else {
    out.append(t.substr(0, t.size() - 1));
    out += object.has_members_ ? ",\"from\":" : "\"from\":";
    out += quoted;
    out += '}';
  }
  return out;
}

}  // namespace jvb::channel
