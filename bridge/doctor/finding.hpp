// What `videobridge doctor` reports: one finding per check, each with a verdict, what was seen
// and, for a problem, how to fix it (the configuration key, the firewall rule, the sysctl), and
// the text the admin reads. The checks produce findings; only doctor.cpp prints them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jvb::doctor {

// kWarn: the bridge works, but not as well as it could or not for everyone (a kernel buffer, a
// NAT that cannot be proved from inside). kFail: something an admin must fix; the exit status
// says so.
enum class Severity { kOk, kWarn, kFail };

std::string_view severity_label(Severity severity);  // "OK", "WARN", "FAIL"

struct Finding {
  std::string check;  // e.g. "addresses", "media port", "xmpp shard"
  Severity severity = Severity::kOk;
  std::string what;                  // one sentence: what was found
  std::vector<std::string> details;  // supporting facts, one per line
  std::vector<std::string> fixes;    // what to do, one per line (empty when OK)
};

Finding ok(std::string check, std::string what);
Finding warn(std::string check, std::string what, std::vector<std::string> fixes = {});
Finding fail(std::string check, std::string what, std::vector<std::string> fixes = {});

// "FAIL  media port: what\n        - detail\n        fix: a fix\n": the verdict in a fixed-width
// column so a screen of results reads down one edge.
std::string format_finding(const Finding& finding);

// "2 problems, 1 warning" / "no problems".
std::string format_summary(const std::vector<Finding>& findings);

// 1 when any finding failed, else 0 (warnings do not fail the run).
int exit_status(const std::vector<Finding>& findings);

// Whether any finding of `check` has `severity` (for tests and the summary).
bool has(const std::vector<Finding>& findings, std::string_view check, Severity severity);

}  // namespace jvb::doctor
