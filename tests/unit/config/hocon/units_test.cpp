// Tests of the spec's "Duration format" and "Size in bytes format" (config/hocon/units.hpp).
#include <doctest/doctest.h>

#include <string>

#include "config/hocon/units.hpp"

using jvb::hocon::to_duration;
using jvb::hocon::to_size_bytes;
using jvb::hocon::Value;
using namespace std::chrono_literals;

namespace {
std::optional<std::chrono::nanoseconds> dur(const std::string& s) { return to_duration(Value::string(s)); }
std::optional<std::uint64_t> size(const std::string& s) { return to_size_bytes(Value::string(s)); }
}  // namespace

TEST_CASE("units: durations in every unit spelling") {
  for (const char* u : {"ns", "nano", "nanos", "nanosecond", "nanoseconds"}) {
    CHECK(dur(std::string("3 ") + u) == 3ns);
  }
  for (const char* u : {"us", "micro", "micros", "microsecond", "microseconds"}) {
    CHECK(dur(std::string("3") + u) == 3us);
  }
  for (const char* u : {"ms", "milli", "millis", "millisecond", "milliseconds"}) {
    CHECK(dur(std::string("3 ") + u) == 3ms);
  }
  for (const char* u : {"s", "second", "seconds"}) CHECK(dur(std::string("3 ") + u) == 3s);
  for (const char* u : {"m", "minute", "minutes"}) CHECK(dur(std::string("3 ") + u) == 3min);
  for (const char* u : {"h", "hour", "hours"}) CHECK(dur(std::string("3 ") + u) == 3h);
  for (const char* u : {"d", "day", "days"}) CHECK(dur(std::string("3 ") + u) == 72h);
}

TEST_CASE("units: duration numbers") {
  CHECK(to_duration(Value::number("250")) == 250ms);
  CHECK(dur("250") == 250ms);
  CHECK(dur("  15ms  ") == 15ms);
  CHECK(dur("1 minute") == 60s);
  CHECK(dur("2.5 h") == 150min);
  CHECK(dur("0.5s") == 500ms);
  CHECK(dur("-1 seconds") == -1s);
  CHECK(to_duration(Value::number("1.5")) == 1500us);
  CHECK(dur("1e3 ms") == 1s);
}

TEST_CASE("units: invalid durations") {
  CHECK_FALSE(dur("").has_value());
  CHECK_FALSE(dur("seconds").has_value());
  CHECK_FALSE(dur("5 parsecs").has_value());
  CHECK_FALSE(dur("5 S").has_value());  // duration units are lowercase only
  CHECK_FALSE(dur("5 kB").has_value());
  CHECK_FALSE(dur("1.2.3 s").has_value());
  CHECK_FALSE(dur("99999999999999 days").has_value());
  CHECK_FALSE(dur("1e300 s").has_value());
  CHECK_FALSE(to_duration(Value::boolean(true)).has_value());
  CHECK_FALSE(to_duration(Value()).has_value());
  CHECK_FALSE(to_duration(Value::array({})).has_value());
}

TEST_CASE("units: sizes in powers of ten and two") {
  CHECK(to_size_bytes(Value::number("100")) == 100u);
  for (const char* u : {"B", "b", "byte", "bytes"}) CHECK(size(std::string("7 ") + u) == 7u);
  CHECK(size("1kB") == 1000u);
  CHECK(size("1 kilobyte") == 1000u);
  CHECK(size("2 kilobytes") == 2000u);
  CHECK(size("1 MB") == 1000000u);
  CHECK(size("1 GB") == 1000000000u);
  CHECK(size("1 TB") == 1000000000000u);
  CHECK(size("1 PB") == 1000000000000000u);
  CHECK(size("1 EB") == 1000000000000000000u);
  for (const char* u : {"K", "k", "Ki", "KiB", "kibibyte", "kibibytes"}) {
    CHECK(size(std::string("512") + u) == 512u * 1024u);
  }
  for (const char* u : {"M", "m", "Mi", "MiB", "mebibyte", "mebibytes"}) {
    CHECK(size(std::string("10 ") + u) == 10u * 1024u * 1024u);
  }
  CHECK(size("1G") == (std::uint64_t{1} << 30));
  CHECK(size("1 TiB") == (std::uint64_t{1} << 40));
  CHECK(size("1 PiB") == (std::uint64_t{1} << 50));
  CHECK(size("1 EiB") == (std::uint64_t{1} << 60));
  CHECK(size("1.5K") == 1536u);
  CHECK(size("0 ZB") == 0u);
}

TEST_CASE("units: invalid sizes") {
  CHECK_FALSE(size("1 ZiB").has_value());
  CHECK_FALSE(size("1 YB").has_value());
  CHECK_FALSE(size("16 EiB").has_value());
  CHECK_FALSE(size("-1 B").has_value());
  CHECK_FALSE(size("10 kb").has_value());  // kB, not kb
  CHECK_FALSE(size("10 bits").has_value());
  CHECK_FALSE(size("x").has_value());
  CHECK_FALSE(to_size_bytes(Value::boolean(false)).has_value());
}
