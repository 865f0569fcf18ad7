// libFuzzer target: the HOCON parser and resolver (config/hocon). File includes are
// disabled so inputs cannot reach the filesystem. Besides memory safety, hangs and memory
// blow-ups, it checks that errors carry a usable position and that a resolved value printed
// as JSON parses back to an equal value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/hocon/hocon.hpp"
#include "config/hocon/units.hpp"

namespace {

// Deterministic fake environment: a few names are set, everything else is not.
std::optional<std::string> fake_env(std::string_view name) {
  if (name == "HOME") return std::string("/home/fuzz");
  if (name == "EMPTY") return std::string();
  if (!name.empty() && name.front() == 'E') return std::string(name);
  return std::nullopt;
}

void exercise(const jvb::hocon::Value& v, int depth) {
  (void)v.to_bool();
  (void)v.to_double();
  (void)v.to_int();
  (void)v.to_string();
  (void)jvb::hocon::to_duration(v);
  (void)jvb::hocon::to_size_bytes(v);
  if (depth > 8) return;
  if (const auto* o = v.as_object()) {
    for (const auto& [key, child] : *o) {
      (void)v.find(key);
      exercise(child, depth + 1);
    }
  } else if (const auto* a = v.as_array()) {
    for (const auto& item : *a) exercise(item, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  jvb::hocon::ParseOptions options;
  options.allow_file_includes = false;
  auto doc = jvb::hocon::parse_string(text, "fuzz.conf", "/nonexistent", options);
  if (!doc) {
    const jvb::hocon::Error& e = doc.error();
    if (e.message.empty() || e.origin != "fuzz.conf") __builtin_trap();
    if (e.line < 0 || e.column < 0 || (e.line > 0 && e.column < 1)) __builtin_trap();
    (void)e.to_string();
    return 0;
  }
  // Layering a document over itself must be harmless too.
  auto layered = doc->with_fallback(*doc);
  auto value = jvb::hocon::resolve(layered, fake_env);
  if (!value) {
    if (value.error().message.empty()) __builtin_trap();
    (void)value.error().to_string();
    return 0;
  }
  if (!value->as_object()) __builtin_trap();
  exercise(*value, 0);
  std::string json = value->to_json();
  (void)value->to_pretty_json();
  auto reparsed_doc = jvb::hocon::parse_string(json, "json", "/nonexistent", options);
  if (!reparsed_doc) {
    // Substitutions may build values deeper than the parser accepts; nothing else may fail.
    if (reparsed_doc.error().message.find("nested too deeply") == std::string::npos) {
      __builtin_trap();
    }
    return 0;
  }
  auto reparsed = jvb::hocon::resolve(*reparsed_doc, fake_env);
  if (!reparsed || !(*reparsed == *value)) __builtin_trap();
  return 0;
}
