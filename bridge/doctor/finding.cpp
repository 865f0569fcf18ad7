// See finding.hpp.
#include "bridge/doctor/finding.hpp"

#include <algorithm>

namespace jvb::doctor {
namespace {

constexpr std::string_view kIndent = "      ";

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

std::string_view severity_label(Severity severity) {
  switch (severity) {
    case Severity::kOk:
      return "OK";
    case Severity::kWarn:
      return "WARN";
    case Severity::kFail:
      return "FAIL";
  }
  return "?";
}

Finding ok(std::string check, std::string what) {
  return {std::move(check), Severity::kOk, std::move(what), {}, {}};
}

Finding warn(std::string check, std::string what, std::vector<std::string> fixes) {
  return {std::move(check), Severity::kWarn, std::move(what), {}, std::move(fixes)};
}

Finding fail(std::string check, std::string what, std::vector<std::string> fixes) {
  return {std::move(check), Severity::kFail, std::move(what), {}, std::move(fixes)};
}

std::string format_finding(const Finding& finding) {
  std::string label(severity_label(finding.severity));
  label.resize(kIndent.size(), ' ');
  std::string out = label + finding.check + ": " + finding.what + "\n";
  for (const auto& d : finding.details) out += std::string(kIndent) + "  - " + d + "\n";
  for (const auto& f : finding.fixes) out += std::string(kIndent) + "fix: " + f + "\n";
  return out;
}

std::string format_summary(const std::vector<Finding>& findings) {
  auto count = [&findings](Severity s) {
    return static_cast<std::size_t>(
        std::count_if(findings.begin(), findings.end(), [s](const Finding& f) { return f.severity == s; }));
  };
  std::size_t failed = count(Severity::kFail), warned = count(Severity::kWarn);
  if (failed == 0 && warned == 0)
    return "no problems found (" + plural(findings.size(), "check", "checks") + ")";
  std::string out;
  if (failed) out = plural(failed, "problem", "problems");
  if (warned) out += (out.empty() ? "" : ", ") + plural(warned, "warning", "warnings");
  return out + " (" + plural(findings.size(), "check", "checks") + ")";
}

int exit_status(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kFail; })
             ? 1
             : 0;
}

bool has(const std::vector<Finding>& findings, std::string_view check, Severity severity) {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const Finding& f) { return f.check == check && f.severity == severity; });
}

}  // namespace jvb::doctor
