// libFuzzer target: the launcher's readers of the Debian `config` environment file and of
// JAVA_SYS_PROPS, then the whole launch decision on that file, with no real file system.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/launch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  jvb::config::parse_env_file(text);
  jvb::config::split_words(text);

  jvb::config::LaunchEnvironment env;
  env.getenv = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  env.read_file = [&](const std::filesystem::path&) -> std::optional<std::string> { return text; };
  env.exists = [](const std::filesystem::path&) { return true; };
  const char* args[] = {"--env-file", "/fuzz/config"};
  auto r = jvb::config::parse_launch(args, env);
  if (!r) __builtin_trap();  // the file is "readable", so nothing here is a usage error
  return 0;
}
