// Offers for browsers and the reading of their answers (see sdp.hpp). SDP syntax: RFC 8866;
// BUNDLE: RFC 9143; ICE attributes: RFC 8839; DTLS setup/fingerprint: RFC 8122 / RFC 8842;
// source-specific attributes and ssrc-group: RFC 5576; the data line: RFC 8841 (SCTP over DTLS in
// SDP) with the RFC 8832 data channels the browser opens on it.
#include "tools/focus/sdp.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "bridge/core/strings.hpp"

namespace jvb::focus {
namespace {

using signaling::MediaType;

constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr std::string_view kTransportCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto pos = text.find(sep);
    out.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    text.remove_prefix(pos + 1);
  }
}

// Splits on runs of spaces, dropping empty tokens.
std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  for (auto t : split(text, ' '))
    if (!t.empty()) out.push_back(t);
  return out;
}

bool is_ip_literal(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

std::string candidate_line(const signaling::Candidate& c) {
  std::string line = fmt::format("a=candidate:{} {} {} {} {} {} typ {}", c.foundation, c.component,
                                 c.protocol, c.priority, c.ip, c.port, signaling::to_string(c.type));
  if (c.rel_addr && c.rel_port) line += fmt::format(" raddr {} rport {}", *c.rel_addr, *c.rel_port);
  if (!c.tcptype.empty()) line += " tcptype " + c.tcptype;
  line += fmt::format(" generation {}", c.generation.value_or(0));
  return line;
}

// The session-independent part of one m-line: codecs and header extensions from the table.
void append_codecs(std::string& sdp, MediaType type) {
  if (type == MediaType::kAudio) {
    sdp += fmt::format("a=extmap:{} {}\r\n", kAudioLevelExtId, kAudioLevelUri);
    sdp += fmt::format("a=extmap:{} {}\r\n", kTransportCcExtId, kTransportCcUri);
    sdp += fmt::format("a=extmap:{} {}\r\n", kMidExtId, kMidUri);
    return;
  }
  sdp += fmt::format("a=extmap:{} {}\r\n", kTransportCcExtId, kTransportCcUri);
  sdp += fmt::format("a=extmap:{} {}\r\n", kMidExtId, kMidUri);
}

void append_rtpmaps(std::string& sdp, MediaType type) {
  if (type == MediaType::kAudio) {
    sdp += fmt::format("a=rtpmap:{} opus/48000/2\r\n", kOpusPt);
    sdp += fmt::format("a=rtcp-fb:{} transport-cc\r\n", kOpusPt);
    sdp += fmt::format("a=fmtp:{} minptime=10;useinbandfec=1\r\n", kOpusPt);
    return;
  }
  sdp += fmt::format("a=rtpmap:{} VP8/90000\r\n", kVp8Pt);
  for (auto fb : {"ccm fir", "nack", "nack pli", "transport-cc"})
    sdp += fmt::format("a=rtcp-fb:{} {}\r\n", kVp8Pt, fb);
  sdp += fmt::format("a=rtpmap:{} rtx/90000\r\n", kVp8RtxPt);
  sdp += fmt::format("a=fmtp:{} apt={}\r\n", kVp8RtxPt, kVp8Pt);
}

// Stream and track ids a receiving page sees; the focus tells it the same names.
std::string track_id(const RemoteStream& s) {
  return s.endpoint + (s.type == MediaType::kAudio ? "-a0" : "-v0");
}

// Every m-line carries the transport: an offer must stand on its own even before BUNDLE is
// negotiated (RFC 9143 §7.2), and all of them name the same bridge transport.
void append_transport(std::string& sdp, const OfferParams& p) {
  sdp += fmt::format("a=ice-ufrag:{}\r\na=ice-pwd:{}\r\n", p.bridge.ufrag, p.bridge.pwd);
  for (const auto& f : p.bridge.fingerprints) sdp += fmt::format("a=fingerprint:{} {}\r\n", f.hash, f.value);
  // The bridge waits for the browser's DTLS ClientHello; actpass lets the browser pick active.
  sdp += "a=setup:actpass\r\n";
}

void append_candidates(std::string& sdp, const OfferParams& p) {
  for (const auto& c : p.bridge.candidates) sdp += candidate_line(c) + "\r\n";
  sdp += "a=end-of-candidates\r\n";
}

// The bridge channel's SCTP association, in the form lib-jitsi-meet gives Jicofo's "data"
// content: the browser opens its in-band (DCEP) channel on it once SCTP is up.
void append_data_line(std::string& sdp, const OfferParams& p, const OfferLine& line) {
  sdp += "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  sdp += "c=IN IP4 0.0.0.0\r\n";
  append_transport(sdp, p);
  sdp += fmt::format("a=mid:{}\r\n", line.mid);
  sdp += fmt::format("a=sctp-port:{}\r\n", p.sctp_port);
  sdp += fmt::format("a=max-message-size:{}\r\n", kSctpMaxMessageSize);
  append_candidates(sdp, p);
}

void append_line(std::string& sdp, const OfferParams& p, const OfferLine& line) {
  if (line.data) return append_data_line(sdp, p, line);
  bool audio = line.type == MediaType::kAudio;
  sdp += audio ? fmt::format("m=audio 9 UDP/TLS/RTP/SAVPF {}\r\n", kOpusPt)
               : fmt::format("m=video 9 UDP/TLS/RTP/SAVPF {} {}\r\n", kVp8Pt, kVp8RtxPt);
  sdp += "c=IN IP4 0.0.0.0\r\n";
  sdp += "a=rtcp:9 IN IP4 0.0.0.0\r\n";
  append_transport(sdp, p);
  sdp += fmt::format("a=mid:{}\r\n", line.mid);
  append_codecs(sdp, line.type);
  if (line.local) {
    sdp += "a=sendrecv\r\n";
  } else if (line.stream) {
    sdp += "a=sendonly\r\n";
    sdp += fmt::format("a=msid:{} {}\r\n", line.stream->endpoint, track_id(*line.stream));
  } else {
    sdp += "a=inactive\r\n";
  }
  sdp += "a=rtcp-mux\r\n";
  append_rtpmaps(sdp, line.type);
  if (line.stream) {
    const RemoteStream& s = *line.stream;
    std::vector<std::uint32_t> ssrcs{s.ssrc};
    if (s.rtx_ssrc) {
      sdp += fmt::format("a=ssrc-group:FID {} {}\r\n", s.ssrc, *s.rtx_ssrc);
      ssrcs.push_back(*s.rtx_ssrc);
    }
    for (auto ssrc : ssrcs) {
      sdp += fmt::format("a=ssrc:{} cname:{}\r\n", ssrc, s.endpoint);
      sdp += fmt::format("a=ssrc:{} msid:{} {}\r\n", ssrc, s.endpoint, track_id(s));
    }
  }
  append_candidates(sdp, p);
}

// One m-section of an answer, as far as the focus cares.
struct Section {
  MediaType type = MediaType::kAudio;
  bool known_type = false;
  bool application = false;
  bool rejected = false;  // port 0 (RFC 8866 §5.14, RFC 3264 §6)
  std::string mid;
  std::string direction = "sendrecv";
  std::vector<std::uint32_t> ssrcs;  // in order of first appearance
  std::vector<signaling::SsrcGroup> groups;
};

// Transport attributes may be at session or media level; the first one found wins (with BUNDLE
// all m-sections repeat the same values).
struct TransportAttributes {
  std::string ufrag, pwd, setup;
  std::vector<std::pair<std::string, std::string>> fingerprints;  // hash, value
  std::vector<signaling::Candidate> candidates;
};

std::optional<signaling::Candidate> parse_candidate(std::string_view value) {
  auto t = tokens(value);
  if (t.size() < 8 || t[6] != "typ") return std::nullopt;
  signaling::Candidate c;
  c.foundation = std::string(t[0]);
  auto component = parse_number<std::uint32_t>(t[1]);
  auto priority = parse_number<std::uint32_t>(t[3]);
  auto port = parse_number<std::uint16_t>(t[5]);
  auto type = signaling::parse_candidate_type(t[7]);
  if (!component || !priority || !port || !type) return std::nullopt;
  c.component = *component;
  c.protocol = ascii_lowercase(std::string(t[2]));
  c.priority = *priority;
  c.ip = std::string(t[4]);
  c.port = *port;
  c.type = *type;
  for (std::size_t i = 8; i + 1 < t.size(); i += 2) {
    if (t[i] == "raddr") c.rel_addr = std::string(t[i + 1]);
    if (t[i] == "rport") c.rel_port = parse_number<std::uint16_t>(t[i + 1]);
    if (t[i] == "tcptype") c.tcptype = std::string(t[i + 1]);
    if (t[i] == "generation") c.generation = parse_number<std::uint32_t>(t[i + 1]);
    if (t[i] == "network-id") c.network = parse_number<std::uint32_t>(t[i + 1]);
  }
  c.generation = c.generation.value_or(0);
  return c;
}

void read_transport_attribute(std::string_view name, std::string_view value, TransportAttributes& t) {
  if (name == "ice-ufrag" && t.ufrag.empty()) t.ufrag = std::string(value);
  if (name == "ice-pwd" && t.pwd.empty()) t.pwd = std::string(value);
  if (name == "setup" && t.setup.empty()) t.setup = std::string(value);
  if (name == "fingerprint") {
    auto parts = tokens(value);
    std::pair<std::string, std::string> f{parts.size() == 2 ? std::string(parts[0]) : "",
                                          parts.size() == 2 ? std::string(parts[1]) : ""};
    if (!f.first.empty() &&
        std::find(t.fingerprints.begin(), t.fingerprints.end(), f) == t.fingerprints.end())
      t.fingerprints.push_back(std::move(f));
  }
  if (name == "candidate") {
    // mDNS (.local) host candidates cannot be resolved by the bridge; it learns those addresses
    // peer-reflexively from the browser's checks instead.
    auto c = parse_candidate(value);
    if (c && is_ip_literal(c->ip) &&
        std::find(t.candidates.begin(), t.candidates.end(), *c) == t.candidates.end())
      t.candidates.push_back(std::move(*c));
  }
}

void read_media_attribute(std::string_view name, std::string_view value, Section& s) {
  if (name == "mid") s.mid = std::string(value);
  if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive")
    s.direction = std::string(name);
  if (name == "ssrc") {
    auto id = parse_number<std::uint32_t>(value.substr(0, value.find(' ')));
    if (id && std::find(s.ssrcs.begin(), s.ssrcs.end(), *id) == s.ssrcs.end()) s.ssrcs.push_back(*id);
  }
  if (name == "ssrc-group") {
    auto t = tokens(value);
    if (t.size() < 2) return;
    signaling::SsrcGroup g;
    g.semantics = std::string(t[0]);
    for (std::size_t i = 1; i < t.size(); ++i)
      if (auto id = parse_number<std::uint32_t>(t[i])) g.ssrcs.push_back(signaling::Ssrc(*id));
    s.groups.push_back(std::move(g));
  }
}

std::optional<signaling::MediaSource> to_media_source(const Section& s, std::string_view endpoint) {
  if (s.ssrcs.empty() || (s.direction != "sendrecv" && s.direction != "sendonly")) return std::nullopt;
  signaling::MediaSource ms;
  ms.type = s.type;
  ms.id = signaling::SourceName(fmt::format("{}-{}0", endpoint, s.type == MediaType::kAudio ? 'a' : 'v'));
  for (auto ssrc : s.ssrcs) {
    signaling::Source source;
    source.ssrc = signaling::Ssrc(ssrc);
    source.name = ms.id;
    if (s.type == MediaType::kVideo) source.video_type = "camera";
    ms.sources.push_back(std::move(source));
  }
  for (const auto& g : s.groups) {
    auto kind = g.kind();
    if (kind == signaling::SsrcGroupSemantics::kSim || kind == signaling::SsrcGroupSemantics::kFid)
      ms.ssrc_groups.push_back(g);
  }
  return ms;
}

}  // namespace

std::optional<signaling::Candidate> parse_sdp_candidate(std::string_view value) {
  return parse_candidate(value);
}

std::vector<signaling::Media> endpoint_medias() {
  using signaling::PayloadType;
  using signaling::PayloadTypeId;
  signaling::Media audio;
  audio.type = MediaType::kAudio;
  PayloadType opus{PayloadTypeId(kOpusPt), "opus", 48000, 2, {{"minptime", "10"}, {"useinbandfec", "1"}},
                   {{"transport-cc", ""}}};
  audio.payload_types = {opus};
  audio.rtp_hdrexts = {{kAudioLevelExtId, std::string(kAudioLevelUri), "", ""},
                       {kTransportCcExtId, std::string(kTransportCcUri), "", ""},
                       {kMidExtId, std::string(kMidUri), "", ""}};

  signaling::Media video;
  video.type = MediaType::kVideo;
  PayloadType vp8{
      PayloadTypeId(kVp8Pt), "VP8", 90000,
      std::nullopt,          {},    {{"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}, {"transport-cc", ""}}};
  PayloadType rtx{PayloadTypeId(kVp8RtxPt),          "rtx", 90000, std::nullopt,
                  {{"apt", std::to_string(kVp8Pt)}}, {}};
  video.payload_types = {vp8, rtx};
  video.rtp_hdrexts = {{kTransportCcExtId, std::string(kTransportCcUri), "", ""},
                       {kMidExtId, std::string(kMidUri), "", ""}};
  return {audio, video};
}

std::string build_offer(const OfferParams& params, const std::vector<OfferLine>& lines) {
  std::string sdp = "v=0\r\n";
  sdp += fmt::format("o=- {} {} IN IP4 0.0.0.0\r\n", params.session_id, params.version);
  sdp += "s=-\r\nt=0 0\r\n";
  sdp += "a=group:BUNDLE";
  for (const auto& line : lines) sdp += " " + line.mid;
  sdp += "\r\n";
  sdp += "a=msid-semantic: WMS *\r\n";
  for (const auto& line : lines) append_line(sdp, params, line);
  return sdp;
}

Result<Answer, std::string> parse_answer(std::string_view sdp, std::string_view endpoint) {
  TransportAttributes transport;
  std::vector<Section> sections;
  for (auto raw : split(sdp, '\n')) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.size() < 2 || raw[1] != '=') continue;
    std::string_view value = raw.substr(2);
    if (raw[0] == 'm') {
      Section s;
      auto fields = tokens(value);
      auto media = fields.empty() ? std::string_view{} : fields[0];
      s.known_type = media == "audio" || media == "video";
      s.application = media == "application";
      s.type = media == "video" ? MediaType::kVideo : MediaType::kAudio;
      s.rejected = fields.size() < 2 || fields[1] == "0";
      sections.push_back(std::move(s));
      continue;
    }
    if (raw[0] != 'a') continue;
    auto colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view attr_value =
        colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
    read_transport_attribute(name, attr_value, transport);
    if (!sections.empty()) read_media_attribute(name, attr_value, sections.back());
  }
  if (transport.ufrag.empty() || transport.pwd.empty())
    return unexpected(std::string("no ice-ufrag/ice-pwd"));
  if (transport.fingerprints.empty()) return unexpected(std::string("no a=fingerprint"));
  auto setup = signaling::parse_dtls_setup(transport.setup.empty() ? "active" : transport.setup);
  if (!setup) return unexpected("unknown a=setup:" + transport.setup);

  Answer answer;
  answer.transport.ufrag = transport.ufrag;
  answer.transport.pwd = transport.pwd;
  answer.transport.rtcp_mux = true;
  for (const auto& [hash, value] : transport.fingerprints)
    answer.transport.fingerprints.push_back({value, hash, setup, false});
  answer.transport.candidates = std::move(transport.candidates);
  for (const auto& s : sections) {
    if (s.application && s.mid == kDataMid && !s.rejected) answer.data = true;
    if (!s.known_type) continue;
    bool own = s.type == MediaType::kAudio ? s.mid == kLocalAudioMid : s.mid == kLocalVideoMid;
    if (!own) continue;
    if (auto ms = to_media_source(s, endpoint)) answer.sources.push_back(std::move(*ms));
  }
  return answer;
}

std::optional<RemoteStream> receive_stream(std::string_view endpoint, const signaling::MediaSource& source) {
  if (source.sources.empty()) return std::nullopt;
  const signaling::SsrcGroup* sim = nullptr;
  std::vector<const signaling::SsrcGroup*> fids;
  for (const auto& g : source.ssrc_groups) {
    if (g.kind() == signaling::SsrcGroupSemantics::kSim && !g.ssrcs.empty() && !sim) sim = &g;
    if (g.kind() == signaling::SsrcGroupSemantics::kFid && g.ssrcs.size() == 2) fids.push_back(&g);
  }
  auto is_rtx = [&](signaling::Ssrc ssrc) {
    return std::any_of(fids.begin(), fids.end(), [&](auto* g) { return g->ssrcs[1] == ssrc; });
  };
  RemoteStream stream;
  stream.endpoint = std::string(endpoint);
  stream.type = source.type;
  if (sim) {
    stream.ssrc = sim->ssrcs.front().value();
  } else {
    auto primary = std::find_if(source.sources.begin(), source.sources.end(),
                                [&](const signaling::Source& s) { return !is_rtx(s.ssrc); });
    if (primary == source.sources.end()) return std::nullopt;
    stream.ssrc = primary->ssrc.value();
  }
  if (source.type == MediaType::kVideo) {
    for (auto* g : fids)
      if (g->ssrcs[0].value() == stream.ssrc) stream.rtx_ssrc = g->ssrcs[1].value();
  }
  return stream;
}

std::optional<std::string> bridge_websocket_url(const signaling::IceUdpTransport& bridge) {
  for (const auto& w : bridge.web_sockets) {
    std::string_view url = w.url;
    // "active" entries are the peer's offer to connect, not somewhere to connect to.
    if (!w.active && (url.starts_with("ws://") || url.starts_with("wss://"))) return w.url;
  }
  return std::nullopt;
}

}  // namespace jvb::focus
