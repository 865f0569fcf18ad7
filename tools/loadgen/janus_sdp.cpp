// See janus_sdp.hpp.
#include "tools/loadgen/janus_sdp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "bridge/core/strings.hpp"
#include "tools/focus/sdp.hpp"

namespace jvb::loadgen {
namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view setup_name(signaling::DtlsSetup setup) { return signaling::to_string(setup); }

// ICE, DTLS and BUNDLE attributes every section of ours carries (RFC 8843 §7.1.3 lets the
// answerer's bundled sections repeat the transport; Janus reads them from any).
void write_transport(std::ostringstream& out, const signaling::IceUdpTransport& t, signaling::DtlsSetup setup,
                     bool candidates) {
  out << "c=IN IP4 0.0.0.0\r\n";
  out << "a=rtcp:9 IN IP4 0.0.0.0\r\n";
  out << "a=ice-ufrag:" << t.ufrag << "\r\n";
  out << "a=ice-pwd:" << t.pwd << "\r\n";
  for (const auto& f : t.fingerprints) out << "a=fingerprint:" << f.hash << " " << f.value << "\r\n";
  out << "a=setup:" << setup_name(setup) << "\r\n";
  if (!candidates) return;
  for (const auto& c : t.candidates)
    out << fmt::format("a=candidate:{} {} {} {} {} {} typ {}{}\r\n", c.foundation, c.component, c.protocol,
                       c.priority, c.ip, c.port, signaling::to_string(c.type),
                       c.generation ? fmt::format(" generation {}", *c.generation) : "");
  out << "a=end-of-candidates\r\n";
}

void write_ssrc(std::ostringstream& out, std::uint32_t ssrc, const std::string& cname,
                std::string_view track) {
  out << "a=ssrc:" << ssrc << " cname:" << cname << "\r\n";
  out << "a=ssrc:" << ssrc << " msid:" << cname << " " << track << "\r\n";
}

}  // namespace

const SdpCodec* SdpMedia::codec(std::string_view name) const {
  for (const auto& c : codecs)
    if (iequals(c.name, name)) return &c;
  return nullptr;
}

std::optional<std::uint8_t> SdpMedia::extension_id(std::string_view uri) const {
  for (const auto& e : extensions)
    if (e.uri == uri) return e.id;
  return std::nullopt;
}

std::optional<std::uint32_t> SdpMedia::primary_ssrc() const {
  for (std::uint32_t s : ssrcs) {
    bool rtx =
        std::any_of(fid_groups.begin(), fid_groups.end(), [s](const auto& g) { return g.second == s; });
    if (!rtx) return s;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> SdpMedia::rtx_ssrc(std::uint32_t primary) const {
  for (const auto& [p, r] : fid_groups)
    if (p == primary) return r;
  return std::nullopt;
}

Result<SessionDescription, std::string> parse_sdp(std::string_view sdp) {
  SessionDescription d;
  signaling::IceUdpTransport session_level;
  std::optional<signaling::DtlsSetup> session_setup, media_setup;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < sdp.size()) {
    std::size_t end = sdp.find('\n', pos);
    std::string_view line =
        sdp.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? sdp.size() : end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 2 || line[1] != '=') continue;
    char type = line[0];
    std::string_view value = line.substr(2);
    if (type == 'm') {
      auto w = words(value);
      auto port = w.size() >= 3 ? parse_number<std::uint16_t>(w[1]) : std::nullopt;
      if (!port) return unexpected(fmt::format("line {}: malformed m= line: {}", line_no, line));
      SdpMedia m;
      m.kind = std::string(w[0]);
      m.port = *port;
      m.protocol = std::string(w[2]);
      for (std::size_t i = 3; i < w.size(); ++i) m.formats.emplace_back(w[i]);
      d.media.push_back(std::move(m));
      continue;
    }
    if (type != 'a') continue;
    auto colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view arg = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
    SdpMedia* m = d.media.empty() ? nullptr : &d.media.back();
    // ICE/DTLS: session level, or the first section's (BUNDLE: one transport for all).
    bool transport_here = !m || d.media.size() == 1;
    signaling::IceUdpTransport& t = m ? d.transport : session_level;
    if (name == "ice-ufrag" && transport_here) {
      if (t.ufrag.empty()) t.ufrag = std::string(arg);
    } else if (name == "ice-pwd" && transport_here) {
      if (t.pwd.empty()) t.pwd = std::string(arg);
    } else if (name == "fingerprint" && transport_here) {
      auto w = words(arg);
      if (w.size() == 2 && t.fingerprints.empty())
        t.fingerprints.push_back({std::string(w[1]), std::string(w[0])});
    } else if (name == "setup") {
      auto s = signaling::parse_dtls_setup(arg);
      if (s && m && !media_setup) media_setup = s;
      if (s && !m) session_setup = s;
    } else if (name == "candidate") {
      if (auto c = focus::parse_sdp_candidate(arg)) d.transport.candidates.push_back(std::move(*c));
    } else if (name == "rtcp-mux") {
      d.transport.rtcp_mux = true;
    } else if (!m) {
      continue;
    } else if (name == "mid") {
      m->mid = std::string(arg);
    } else if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive") {
      m->direction = std::string(name);
    } else if (name == "rtpmap") {
      auto w = words(arg);
      auto pt = w.size() == 2 ? parse_number<std::uint8_t>(w[0]) : std::nullopt;
      if (!pt) continue;
      SdpCodec c;
      c.payload_type = *pt;
      std::string_view encoding = w[1];
      auto slash = encoding.find('/');
      c.name = std::string(encoding.substr(0, slash));
      if (slash != std::string_view::npos) {
        std::string_view rate = encoding.substr(slash + 1);
        c.clock_rate = parse_number<std::uint32_t>(rate.substr(0, rate.find('/'))).value_or(0);
      }
      m->codecs.push_back(std::move(c));
    } else if (name == "fmtp") {
      auto space = arg.find(' ');
      auto pt = parse_number<std::uint8_t>(arg.substr(0, space));
      auto apt = arg.find("apt=");
      if (!pt || apt == std::string_view::npos) continue;
      std::string_view digits = arg.substr(apt + 4);
      digits = digits.substr(0, digits.find(';'));
      for (auto& c : m->codecs)
        if (c.payload_type == *pt) c.apt = parse_number<std::uint8_t>(digits);
    } else if (name == "extmap") {
      auto w = words(arg);
      if (w.size() < 2) continue;
      auto id = parse_number<std::uint8_t>(w[0].substr(0, w[0].find('/')));
      if (id) m->extensions.push_back({*id, std::string(w[1])});
    } else if (name == "ssrc") {
      auto ssrc = parse_number<std::uint32_t>(arg.substr(0, arg.find(' ')));
      if (ssrc && std::find(m->ssrcs.begin(), m->ssrcs.end(), *ssrc) == m->ssrcs.end())
        m->ssrcs.push_back(*ssrc);
    } else if (name == "ssrc-group") {
      auto w = words(arg);
      if (w.size() == 3 && w[0] == "FID") {
        auto a = parse_number<std::uint32_t>(w[1]), b = parse_number<std::uint32_t>(w[2]);
        if (a && b) m->fid_groups.emplace_back(*a, *b);
      }
    }
  }
  // Session-level values first (RFC 8839 §5.4: media-level ones override, and BUNDLE makes the
  // first section's the transport's).
  if (d.transport.ufrag.empty()) d.transport.ufrag = session_level.ufrag;
  if (d.transport.pwd.empty()) d.transport.pwd = session_level.pwd;
  if (d.transport.fingerprints.empty()) d.transport.fingerprints = session_level.fingerprints;
  if (d.transport.ufrag.empty() || d.transport.pwd.empty())
    return unexpected(std::string("no ice-ufrag/ice-pwd"));
  if (d.transport.fingerprints.empty()) return unexpected(std::string("no a=fingerprint"));
  auto setup = media_setup ? media_setup : session_setup;
  d.transport.fingerprints.front().setup = setup.value_or(signaling::DtlsSetup::kActpass);
  return d;
}

signaling::DtlsSetup remote_setup(const SessionDescription& description) {
  if (description.transport.fingerprints.empty()) return signaling::DtlsSetup::kActpass;
  return description.transport.fingerprints.front().setup.value_or(signaling::DtlsSetup::kActpass);
}

std::string build_publisher_offer(const PublisherOffer& o) {
  std::ostringstream out;
  out << "v=0\r\n";
  out << "o=- " << o.session_id << " 2 IN IP4 127.0.0.1\r\n";
  out << "s=-\r\n";
  out << "t=0 0\r\n";
  out << (o.video ? "a=group:BUNDLE 0 1\r\n" : "a=group:BUNDLE 0\r\n");
  out << "a=msid-semantic: WMS " << o.cname << "\r\n";

  out << fmt::format("m=audio 9 UDP/TLS/RTP/SAVPF {}\r\n", focus::kOpusPt);
  write_transport(out, o.transport, signaling::DtlsSetup::kActpass, true);
  out << "a=mid:0\r\n";
  out << fmt::format("a=extmap:{} {}\r\n", focus::kAudioLevelExtId, kAudioLevelUri);
  out << fmt::format("a=extmap:{} {}\r\n", focus::kTransportCcExtId, kTransportCcUri);
  out << "a=sendonly\r\n";
  out << "a=rtcp-mux\r\n";
  out << fmt::format("a=rtpmap:{} opus/48000/2\r\n", focus::kOpusPt);
  out << fmt::format("a=rtcp-fb:{} transport-cc\r\n", focus::kOpusPt);
  out << fmt::format("a=fmtp:{} minptime=10;useinbandfec=1\r\n", focus::kOpusPt);
  write_ssrc(out, o.audio_ssrc, o.cname, "audio");

  if (!o.video) return out.str();
  out << fmt::format("m=video 9 UDP/TLS/RTP/SAVPF {} {}\r\n", focus::kVp8Pt, focus::kVp8RtxPt);
  write_transport(out, o.transport, signaling::DtlsSetup::kActpass, false);
  out << "a=mid:1\r\n";
  out << fmt::format("a=extmap:{} {}\r\n", focus::kTransportCcExtId, kTransportCcUri);
  out << "a=sendonly\r\n";
  out << "a=rtcp-mux\r\n";
  out << fmt::format("a=rtpmap:{} VP8/90000\r\n", focus::kVp8Pt);
  for (std::string_view fb : {"ccm fir", "nack", "nack pli", "transport-cc"})
    out << fmt::format("a=rtcp-fb:{} {}\r\n", focus::kVp8Pt, fb);
  out << fmt::format("a=rtpmap:{} rtx/90000\r\n", focus::kVp8RtxPt);
  out << fmt::format("a=fmtp:{} apt={}\r\n", focus::kVp8RtxPt, focus::kVp8Pt);
  out << "a=ssrc-group:SIM";
  for (std::uint32_t s : o.video_ssrcs) out << " " << s;
  out << "\r\n";
  for (std::size_t l = 0; l < kLayers; ++l)
    out << "a=ssrc-group:FID " << o.video_ssrcs[l] << " " << o.rtx_ssrcs[l] << "\r\n";
  for (std::size_t l = 0; l < kLayers; ++l) {
    write_ssrc(out, o.video_ssrcs[l], o.cname, "video");
    write_ssrc(out, o.rtx_ssrcs[l], o.cname, "video");
  }
  return out.str();
}

SubscriberAnswer build_subscriber_answer(const SessionDescription& offer,
                                         const signaling::IceUdpTransport& local, std::uint64_t session_id) {
  SubscriberAnswer answer;
  std::ostringstream body;
  for (const auto& m : offer.media) {
    const SdpCodec* codec = nullptr;
    if (m.kind == "audio") codec = m.codec("opus");
    if (m.kind == "video") codec = m.codec("VP8");
    bool sending = m.direction == "sendonly" || m.direction == "sendrecv";
    if (!codec || m.port == 0 || !sending) {
      // Rejected: port 0 with the offer's first format (RFC 8829 §5.3.1).
      body << "m=" << m.kind << " 0 " << m.protocol << " " << (m.formats.empty() ? "0" : m.formats.front())
           << "\r\n";
      body << "c=IN IP4 0.0.0.0\r\n";
      if (!m.mid.empty()) body << "a=mid:" << m.mid << "\r\n";
      body << "a=inactive\r\n";
      continue;
    }
    bool first = answer.accepted_mids.empty();
    answer.accepted_mids.push_back(m.mid);
    std::uint8_t pt = codec->payload_type;
    body << "m=" << m.kind << " 9 " << m.protocol << " " << static_cast<int>(pt) << "\r\n";
    write_transport(body, local, signaling::DtlsSetup::kActive, first);
    body << "a=mid:" << m.mid << "\r\n";
    bool tcc = m.extension_id(kTransportCcUri) == focus::kTransportCcExtId;
    if (tcc) body << fmt::format("a=extmap:{} {}\r\n", focus::kTransportCcExtId, kTransportCcUri);
    body << "a=recvonly\r\n";
    body << "a=rtcp-mux\r\n";
    if (m.kind == "audio") {
      body << fmt::format("a=rtpmap:{} opus/48000/2\r\n", pt);
      if (tcc) body << fmt::format("a=rtcp-fb:{} transport-cc\r\n", pt);
      body << fmt::format("a=fmtp:{} minptime=10;useinbandfec=1\r\n", pt);
    } else {
      body << fmt::format("a=rtpmap:{} VP8/90000\r\n", pt);
      for (std::string_view fb : {"ccm fir", "nack", "nack pli"})
        body << fmt::format("a=rtcp-fb:{} {}\r\n", pt, fb);
      if (tcc) body << fmt::format("a=rtcp-fb:{} transport-cc\r\n", pt);
    }
  }
  std::ostringstream out;
  out << "v=0\r\n";
  out << "o=- " << session_id << " 2 IN IP4 127.0.0.1\r\n";
  out << "s=-\r\n";
  out << "t=0 0\r\n";
  if (!answer.accepted_mids.empty()) {
    out << "a=group:BUNDLE";
    for (const auto& mid : answer.accepted_mids) out << " " << mid;
    out << "\r\n";
  }
  out << body.str();
  answer.sdp = out.str();
  return answer;
}

}  // namespace jvb::loadgen
