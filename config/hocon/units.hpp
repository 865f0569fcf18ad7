// HOCON's duration and size formats (spec sections "Duration format" and "Size in bytes
// format"), read from resolved values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "config/hocon/value.hpp"

namespace jvb::hocon {

// "10 seconds", "15ms", "1 minutes", "2.5 h"; a bare number means milliseconds.
// nullopt for anything else (unknown unit, negative overflow, not a scalar).
std::optional<std::chrono::nanoseconds> to_duration(const Value& v);

// "512k", "10 MiB", "1 GB", "100 bytes"; a bare number means bytes. Powers of ten for
// kB/MB/..., powers of two for K/KiB/M/MiB/... as the spec defines.
std::optional<std::uint64_t> to_size_bytes(const Value& v);

}  // namespace jvb::hocon
