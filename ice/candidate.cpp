// Candidate SDP form (RFC 8839 §5.1) and priorities (RFC 8445 §5.1.2.1).
#include "ice/candidate.hpp"

#include <charconv>
#include <vector>

#include "bridge/core/strings.hpp"

namespace jvb::ice {
namespace {

std::uint32_t type_preference(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return 126;
    case CandidateType::kPeerReflexive:
      return 110;
    case CandidateType::kServerReflexive:
      return 100;
    case CandidateType::kRelayed:
      return 0;
  }
  return 0;
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<CandidateType> parse_type(std::string_view s) {
  if (s == "host") return CandidateType::kHost;
  if (s == "srflx") return CandidateType::kServerReflexive;
  if (s == "prflx") return CandidateType::kPeerReflexive;
  if (s == "relay") return CandidateType::kRelayed;
  return std::nullopt;
}

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// A literal address only: SocketAddress::parse refuses hostnames, so nothing is ever resolved.
std::optional<SocketAddress> parse_address(std::string_view ip, std::string_view port) {
  auto p = parse_number<std::uint16_t>(port);
  if (!p) return std::nullopt;
  return SocketAddress::parse(ip, *p);
}

// foundation: 1*32 ice-char (RFC 8839 §5.1).
bool valid_foundation(std::string_view f) {
  if (f.empty() || f.size() > 32) return false;
  for (char c : f) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return "host";
    case CandidateType::kServerReflexive:
      return "srflx";
    case CandidateType::kPeerReflexive:
      return "prflx";
    case CandidateType::kRelayed:
      return "relay";
  }
  return "host";
}

std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 std::uint32_t component) {
  // Component IDs are 1..256; clamp so a bad argument cannot wrap into the type preference.
  const std::uint32_t c = component < 1 ? 1 : (component > 256 ? 256 : component);
  return (type_preference(type) << 24) + (static_cast<std::uint32_t>(local_preference) << 8) + (256 - c);
}

std::string Candidate::to_sdp() const {
  std::string s = "candidate:" + foundation + " " + std::to_string(component) + " " + transport + " " +
                  std::to_string(priority) + " " + address.ip() + " " + std::to_string(address.port()) +
                  " typ " + std::string(to_string(type));
  if (related && related->is_set()) {
    s += " raddr " + related->ip() + " rport " + std::to_string(related->port());
  }
  s += " generation " + std::to_string(generation);
  return s;
}

std::optional<Candidate> Candidate::parse_sdp(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  if (line.substr(0, 2) == "a=") line.remove_prefix(2);
  if (line.substr(0, 10) == "candidate:") line.remove_prefix(10);
  const auto t = split_tokens(line);
  // foundation component transport priority address port "typ" type
  if (t.size() < 8 || t[6] != "typ") return std::nullopt;
  Candidate c;
  if (!valid_foundation(t[0])) return std::nullopt;
  c.foundation = std::string(t[0]);
  auto component = parse_number<std::uint32_t>(t[1]);
  if (!component || *component < 1 || *component > 256) return std::nullopt;
  c.component = *component;
  if (!iequals(t[2], "udp")) return std::nullopt;
  c.transport = "udp";
  auto priority = parse_number<std::uint32_t>(t[3]);
  if (!priority || *priority == 0) return std::nullopt;
  c.priority = *priority;
  auto address = parse_address(t[4], t[5]);
  if (!address) return std::nullopt;  // hostnames (mDNS .local) land here
  c.address = *address;
  auto type = parse_type(t[7]);
  if (!type) return std::nullopt;
  c.type = *type;
  // The rest is name/value pairs (RFC 8839 §5.1 extension-att-name SP extension-att-value).
  std::optional<std::string_view> raddr, rport;
  for (std::size_t i = 8; i < t.size(); i += 2) {
    if (i + 1 >= t.size()) return std::nullopt;
    if (t[i] == "raddr") {
      raddr = t[i + 1];
    } else if (t[i] == "rport") {
      rport = t[i + 1];
    } else if (t[i] == "generation") {
      auto g = parse_number<std::uint32_t>(t[i + 1]);
      if (!g) return std::nullopt;
      c.generation = *g;
    }
  }
  if (raddr.has_value() != rport.has_value()) return std::nullopt;
  if (raddr) {
    // Browsers hide the related address as "0.0.0.0 0"; a related address is only informative,
    // so an unusable one is left out rather than refusing the candidate.
    auto related = parse_address(*raddr, *rport);
    if (!rport || !parse_number<std::uint16_t>(*rport)) return std::nullopt;
    if (related) c.related = *related;
  }
  return c;
}

}  // namespace jvb::ice
