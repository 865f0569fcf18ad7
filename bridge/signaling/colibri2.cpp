// Wire names of the Colibri2 model's enumerations (as jitsi-xmpp-extensions names them), shared by
// the JSON and XML codecs. Parsing is case-insensitive because JVB accepts any case for these
// values (e.g. the JSON SCTP role is written upper case, the XML one lower case).
#include "bridge/signaling/colibri2.hpp"

#include "bridge/core/strings.hpp"

#include <algorithm>
#include <array>

namespace jvb::signaling {
namespace {

// Looks `text` up in a table of {wire name, value}.
template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<std::string_view, E>, N>& table, std::string_view text) {
  for (const auto& [name, value] : table) {
    if (iequals(name, text)) return value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<std::string_view, E>, N>& table, E value) {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return "?";  // unreachable while every enumerator is in its table
}

constexpr std::array<std::pair<std::string_view, MediaType>, 2> kMediaTypes{{
    {"audio", MediaType::kAudio},
    {"video", MediaType::kVideo},
}};
constexpr std::array<std::pair<std::string_view, MucRole>, 4> kMucRoles{{
    {"moderator", MucRole::kModerator},
    {"participant", MucRole::kParticipant},
    {"visitor", MucRole::kVisitor},
    {"none", MucRole::kNone},
}};
constexpr std::array<std::pair<std::string_view, DtlsSetup>, 4> kDtlsSetups{{
    {"active", DtlsSetup::kActive},
    {"passive", DtlsSetup::kPassive},
    {"actpass", DtlsSetup::kActpass},
    {"holdconn", DtlsSetup::kHoldconn},
}};
constexpr std::array<std::pair<std::string_view, CandidateType>, 4> kCandidateTypes{{
    {"host", CandidateType::kHost},
    {"srflx", CandidateType::kSrflx},
    {"prflx", CandidateType::kPrflx},
    {"relay", CandidateType::kRelay},
}};
constexpr std::array<std::pair<std::string_view, SctpRole>, 2> kSctpRoles{{
    {"server", SctpRole::kServer},
    {"client", SctpRole::kClient},
}};
constexpr std::array<std::pair<std::string_view, ConnectProtocol>, 1> kConnectProtocols{{
    {"mediajson", ConnectProtocol::kMediaJson},
}};
constexpr std::array<std::pair<std::string_view, ConnectType>, 3> kConnectTypes{{
    {"recorder", ConnectType::kRecorder},
    {"transcriber", ConnectType::kTranscriber},
    {"translator", ConnectType::kTranslator},
}};

}  // namespace

std::string_view to_string(MediaType type) { return name_of(kMediaTypes, type); }
std::string_view to_string(MucRole role) { return name_of(kMucRoles, role); }
std::string_view to_string(DtlsSetup setup) { return name_of(kDtlsSetups, setup); }
std::string_view to_string(CandidateType type) { return name_of(kCandidateTypes, type); }
std::string_view to_string(SctpRole role) { return name_of(kSctpRoles, role); }
std::string_view to_string(ConnectProtocol protocol) { return name_of(kConnectProtocols, protocol); }
std::string_view to_string(ConnectType type) { return name_of(kConnectTypes, type); }

std::optional<MediaType> parse_media_type(std::string_view text) { return lookup(kMediaTypes, text); }
std::optional<MucRole> parse_muc_role(std::string_view text) { return lookup(kMucRoles, text); }
std::optional<DtlsSetup> parse_dtls_setup(std::string_view text) { return lookup(kDtlsSetups, text); }
std::optional<CandidateType> parse_candidate_type(std::string_view text) {
  return lookup(kCandidateTypes, text);
}
std::optional<SctpRole> parse_sctp_role(std::string_view text) { return lookup(kSctpRoles, text); }
std::optional<ConnectProtocol> parse_connect_protocol(std::string_view text) {
  return lookup(kConnectProtocols, text);
}
std::optional<ConnectType> parse_connect_type(std::string_view text) { return lookup(kConnectTypes, text); }

SsrcGroupSemantics classify_ssrc_group_semantics(std::string_view text) {
  if (iequals(text, "SIM")) return SsrcGroupSemantics::kSim;
  if (iequals(text, "FID")) return SsrcGroupSemantics::kFid;
  if (iequals(text, "FEC-FR")) return SsrcGroupSemantics::kFecFr;
  return SsrcGroupSemantics::kOther;
}

bool Endpoint::has_capability(std::string_view name) const {
  return std::find(capabilities.begin(), capabilities.end(), name) != capabilities.end();
}

bool is_websocket_url(std::string_view url) {
  return starts_with_icase(url, "ws://") || starts_with_icase(url, "wss://");
}

bool is_http_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace jvb::signaling
