// Tests of bridge/doctor/finding.hpp: the printed form, the summary and the exit status.
#include "bridge/doctor/finding.hpp"

#include <doctest/doctest.h>

namespace jvb::doctor {
namespace {

TEST_CASE("a finding prints its verdict, what was found, details and fixes") {
  Finding f = fail("media port", "UDP 10000 does not receive", {"open it", "and the cloud firewall"});
  f.details.push_back("sent to 10.0.0.5:10000");
  CHECK(format_finding(f) ==
        "FAIL  media port: UDP 10000 does not receive\n"
        "        - sent to 10.0.0.5:10000\n"
        "      fix: open it\n"
        "      fix: and the cloud firewall\n");
  CHECK(format_finding(ok("clock", "synchronized")) == "OK    clock: synchronized\n");
  CHECK(format_finding(warn("x", "y")) == "WARN  x: y\n");
}

TEST_CASE("the exit status fails only on a failed check") {
  std::vector<Finding> findings{ok("a", "fine"), warn("b", "meh")};
  CHECK(exit_status(findings) == 0);
  CHECK(format_summary(findings) == "1 warning (2 checks)");
  findings.push_back(fail("c", "broken"));
  findings.push_back(fail("d", "broken too"));
  CHECK(exit_status(findings) == 1);
  CHECK(format_summary(findings) == "2 problems, 1 warning (4 checks)");
  CHECK(format_summary({ok("a", "fine")}) == "no problems found (1 check)");
  CHECK(has(findings, "c", Severity::kFail));
  CHECK_FALSE(has(findings, "a", Severity::kFail));
}

}  // namespace
}  // namespace jvb::doctor
