// Helpers shared by unit tests: a private temporary directory, removed afterwards.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace jvb::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jvb-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` inside the directory and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

// The folder of shared reference data beside the checkout, if the build told us where it is
// and it exists.
inline std::optional<std::filesystem::path> shared_dir() {
  const char* dir = std::getenv("JVB_SHARED_DIR");
  if (!dir || !std::filesystem::is_directory(dir)) return std::nullopt;
  return std::filesystem::path(dir);
}

}  // namespace jvb::test
