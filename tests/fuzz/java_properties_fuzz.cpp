// libFuzzer target: the java.util.Properties reader (sip-communicator.properties, and HOCON
// .properties includes). It has no error path, so the checks are memory safety and that
// every entry's line lies within the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/java_properties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  int lines = 1;
  for (char c : text) lines += (c == '\n' || c == '\r');
  for (const auto& e : jvb::config::parse_java_properties(text)) {
    if (e.line < 1 || e.line > lines) __builtin_trap();
  }
  return 0;
}
