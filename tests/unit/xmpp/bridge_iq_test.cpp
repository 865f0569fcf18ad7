// Tests of xmpp/bridge_iq.hpp (the IQ rules listed there): the request stanzas of the shared
// protocol vectors' xmpp/ (health, version, non-muc) and colibri2/ are answered with replies
// structurally equal to the vectors' responses (names, namespaces and nesting match; generated
// values need only the right form; the reply's from is left to the server); every dispatch rule,
// namespace resolution, id echo and exception path is checked with hand-written stanzas. The
// colibri2 service is a fake that records what it was asked, since this is a test of the IQ layer
// only. Vector cases are skipped (with a message) without JVB_SHARED_DIR.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include "tests/unit/test_util.hpp"
#include "tests/unit/xml_text.hpp"
#include "xmpp/bridge_iq.hpp"
#include "xmpp/colibri2_xml.hpp"

using namespace jvb::signaling;
using namespace jvb::xmpp;
using jvb::test::parse_xml;
using jvb::test::read_file;

namespace {

// ---- XML helpers ----

std::unique_ptr<gloox::Tag> must_parse(const std::string& text) {
  auto tag = parse_xml(text);
  REQUIRE_MESSAGE(tag, text);
  return tag;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") + 1 - b);
}

// Structural description (what the vectors' responses are compared by): name, effective namespace,
// attributes without xmlns declarations in any order, trimmed text, children in order. The root's
// namespace (and so that of children which inherit it) and its from are left out: the bridge writes
// its replies inside the jabber:client stream and the server stamps from.
std::string describe(const gloox::Tag& tag, int depth = 0, const std::string& stream_ns = "") {
  std::map<std::string, std::string> attrs;
  for (const auto* a : tag.attributes()) {
    if (a->name() == "xmlns" || a->prefix() == "xmlns") continue;
    if (depth == 0 && a->name() == "from") continue;
    attrs[a->prefix().empty() ? a->name() : a->prefix() + ":" + a->name()] = a->value();
  }
  std::string out(static_cast<std::size_t>(depth) * 2, ' ');
  out += "<" + tag.name();
  const std::string ns = effective_namespace(tag);
  if (depth > 0) out += " {" + (ns == stream_ns ? std::string() : ns) + "}";
  for (const auto& [k, v] : attrs) out += " " + k + "='" + v + "'";
  out += ">" + trim(tag.cdata()) + "\n";
  for (const auto* child : tag.children()) out += describe(*child, depth + 1, depth == 0 ? ns : stream_ns);
  return out;
}

std::optional<std::filesystem::path> vectors() {
  auto shared = jvb::test::shared_dir();
  if (!shared) return std::nullopt;
  auto dir = *shared / "docs" / "protocol" / "vectors";
  if (!std::filesystem::is_directory(dir / "xmpp")) return std::nullopt;
  return dir;
}

// ---- Fakes ----

// A conference layer that records every request and answers with a fixed result or error.
struct FakeColibri {
  std::vector<ConferenceModify> requests;
  std::optional<Colibri2Error> fail;
  ConferenceModified answer;

  BridgeIqServices services() {
    BridgeIqServices s;
    s.conference_modify =
        [this](const ConferenceModify& m) -> jvb::Result<ConferenceModified, Colibri2Error> {
      requests.push_back(m);
      if (fail) return jvb::unexpected(*fail);
      return answer;
    };
    s.health = [] { return HealthReport{}; };
    s.software_name = "JVB";
    s.software_version = "2.3.231-g4c1c7ad3";
    return s;
  }
};

std::unique_ptr<gloox::Tag> answer(const std::string& request, bool allowed, const BridgeIqServices& s) {
  auto iq = must_parse(request);
  return answer_iq(*iq, allowed, s);
}

// The condition element, <text> and colibri2 reason of an error reply, as one string.
struct ErrorParts {
  std::string type, condition, text, reason;
};

ErrorParts error_parts(const gloox::Tag& reply) {
  ErrorParts p;
  REQUIRE(reply.findAttribute("type") == "error");
  const gloox::Tag* error = reply.findChild("error");
  REQUIRE(error);
  p.type = error->findAttribute("type");
  for (const gloox::Tag* child : error->children()) {
    const std::string ns = effective_namespace(*child);
    if (ns == kNsStanzas && child->name() == "text") {
      p.text = child->cdata();
    } else if (ns == kNsStanzas) {
      p.condition = child->name();
    } else if (ns == kNsColibri2 && child->name() == "error") {
      p.reason = child->findAttribute("reason");
    }
  }
  return p;
}

const std::string kFocus = "jvbbrewery@internal.auth.meet.example.org/focus";

std::string iq(const std::string& type, const std::string& payload, const std::string& id = "i1") {
  return "<iq xmlns='jabber:client' type='" + type + "' from='" + kFocus + "' id='" + id + "'>" + payload +
         "</iq>";
}

const std::string kHealth = "<healthcheck xmlns='http://jitsi.org/protocol/healthcheck'/>";
const std::string kExpire =
    "<conference-modify xmlns='jitsi:colibri2' meeting-id='4340a148-a8cb-40a2-b0cb-2654e57ee90c' "
    "expire='true'/>";

}  // namespace

// ---- Vectors ----

TEST_CASE("bridge_iq: vectors of vectors/xmpp and vectors/colibri2") {
  auto dir = vectors();
  if (!dir) {
    MESSAGE("JVB_SHARED_DIR not set or without docs/protocol/vectors: vector cases skipped");
    return;
  }
  const auto x = *dir / "xmpp";
  FakeColibri fake;
  BridgeIqServices services = fake.services();

  SUBCASE("health check, healthy: empty result (health.resp-ok.xml)") {
    auto reply = answer(read_file(x / "health.req.xml"), true, services);
    REQUIRE(reply);
    CHECK(describe(*reply) == describe(*must_parse(read_file(x / "health.resp-ok.xml"))));
  }
  SUBCASE("health check, unhealthy: internal-server-error with the message (health.resp-unhealthy.xml)") {
    services.health = [] { return HealthReport{false, "No valid IP addresses available for harvesting."}; };
    auto reply = answer(read_file(x / "health.req.xml"), true, services);
    REQUIRE(reply);
    CHECK(describe(*reply) == describe(*must_parse(read_file(x / "health.resp-unhealthy.xml"))));
  }
  SUBCASE("version (version.resp.xml)") {
    auto reply = answer(read_file(x / "version.req.xml"), true, services);
    REQUIRE(reply);
    CHECK(describe(*reply) == describe(*must_parse(read_file(x / "version.resp.xml"))));
  }
  SUBCASE("colibri2 from outside the brewery: forbidden, service not called (non-muc.resp.xml)") {
    auto reply = answer(read_file(x / "non-muc.req.xml"), false, services);
    REQUIRE(reply);
    CHECK(describe(*reply) == describe(*must_parse(read_file(x / "non-muc.resp.xml"))));
    CHECK(fake.requests.empty());
  }
  SUBCASE("conference expire: the service gets the parsed request; empty conference-modified") {
    const auto req = read_file(*dir / "colibri2" / "08-expire-conference.req.xml");
    auto reply = answer(req, true, services);
    REQUIRE(reply);
    CHECK(describe(*reply) ==
          describe(*must_parse(read_file(*dir / "colibri2" / "08-expire-conference.resp.xml"))));
    REQUIRE(fake.requests.size() == 1);
    CHECK(fake.requests[0].meeting_id.str() == "4340a148-a8cb-40a2-b0cb-2654e57ee90c");
    CHECK(fake.requests[0].expire);
    auto expected = parse_conference_modify(*must_parse(req)->findChild("conference-modify"));
    REQUIRE(expected.has_value());
    CHECK(fake.requests[0] == *expected);
  }
  SUBCASE("the service's errors are written as JVB writes them (errors/e01, e04)") {
    const auto e = *dir / "colibri2" / "errors";
    fake.fail = Colibri2Error::conference_not_found(
        jvb::signaling::MeetingId("31d7cb96-56fd-45fc-8bb0-4d2be5415d0f"));
    auto reply = answer(read_file(e / "e01-conference-not-found.req.xml"), true, services);
    REQUIRE(reply);
    CHECK(describe(*reply) == describe(*must_parse(read_file(e / "e01-conference-not-found.resp.xml"))));

    fake.fail = Colibri2Error::unknown_endpoint(jvb::signaling::EndpointId("d6e86643"));
    reply = answer(read_file(e / "e04-unknown-endpoint.req.xml"), true, services);
    REQUIRE(reply);
    CHECK(describe(*reply) == describe(*must_parse(read_file(e / "e04-unknown-endpoint.resp.xml"))));
    CHECK(fake.requests.size() == 2);
  }
}

// ---- Reply envelope ----

TEST_CASE("bridge_iq: the reply goes to the sender with the same id and no xmlns") {
  FakeColibri fake;
  // Prosody's MUC ids are base64 and may end in '='; entities must come back as the same bytes.
  const std::string id = "anZiQGF1dGg=&amp;&lt;&apos;&quot;x";
  auto reply = answer(iq("get", kHealth, id), true, fake.services());
  REQUIRE(reply);
  CHECK(reply->name() == "iq");
  CHECK(reply->findAttribute("type") == "result");
  CHECK(reply->findAttribute("to") == kFocus);
  CHECK(reply->findAttribute("id") == "anZiQGF1dGg=&<'\"x");
  CHECK_FALSE(reply->hasAttribute("from"));
  CHECK_FALSE(reply->hasAttribute("xmlns"));
  CHECK(reply->children().empty());
  // Through text, as the connection sends it.
  auto again = must_parse(reply->xml());
  CHECK(again->findAttribute("id") == "anZiQGF1dGg=&<'\"x");
}

TEST_CASE("bridge_iq: a request without from gets a reply without to") {
  FakeColibri fake;
  auto reply = answer("<iq type='get' id='s1'>" + kHealth + "</iq>", true, fake.services());
  REQUIRE(reply);
  CHECK_FALSE(reply->hasAttribute("to"));
  CHECK(reply->findAttribute("id") == "s1");
}

TEST_CASE("bridge_iq: result, error and other types get no reply") {
  FakeColibri fake;
  auto s = fake.services();
  for (const char* type : {"result", "error", "", "GET", "bogus"}) {
    CAPTURE(type);
    CHECK_FALSE(answer(iq(type, kHealth), true, s));
    CHECK_FALSE(answer(iq(type, kExpire), true, s));
    CHECK_FALSE(answer(iq(type, kExpire), false, s));
  }
  CHECK_FALSE(answer("<iq from='a@b/c' id='x'>" + kHealth + "</iq>", true, s));
  CHECK_FALSE(answer("<message type='get' from='a@b/c'>" + kHealth + "</message>", true, s));
  CHECK(fake.requests.empty());
}

// ---- Access control (only brewery occupants) ----

TEST_CASE("bridge_iq: a sender outside the brewery gets forbidden for every request") {
  FakeColibri fake;
  auto s = fake.services();
  bool health_called = false;
  s.health = [&] {
    health_called = true;
    return HealthReport{};
  };
  for (const std::string& payload : {kExpire, kHealth, std::string("<query xmlns='jabber:iq:version'/>"),
                                     std::string("<foo xmlns='bar'/>"), std::string()}) {
    CAPTURE(payload);
    auto reply = answer(iq("set", payload), false, s);
    REQUIRE(reply);
    const auto e = error_parts(*reply);
    CHECK(e.type == "auth");
    CHECK(e.condition == "forbidden");
    CHECK(e.text.empty());
    CHECK(e.reason.empty());  // no colibri2 extension (as JVB answers forbidden)
    reply = answer(iq("get", payload), false, s);
    REQUIRE(reply);
    CHECK(error_parts(*reply).condition == "forbidden");
  }
  CHECK(fake.requests.empty());
  CHECK_FALSE(health_called);
}

TEST_CASE("bridge_iq: XEP-0199 ping gets an empty result from anyone") {
  FakeColibri fake;
  auto s = fake.services();
  const std::string ping = "<ping xmlns='urn:xmpp:ping'/>";
  for (bool allowed : {true, false}) {
    auto reply = answer("<iq type='get' from='auth.meet.example.org' id='p1'>" + ping + "</iq>", allowed, s);
    REQUIRE(reply);
    CHECK(reply->findAttribute("type") == "result");
    CHECK(reply->findAttribute("to") == "auth.meet.example.org");
    CHECK(reply->children().empty());
  }
  auto reply = answer(iq("set", ping), true, s);
  REQUIRE(reply);
  CHECK(error_parts(*reply).condition == "service-unavailable");
}

// ---- conference-modify and its errors ----

TEST_CASE("bridge_iq: conference-modify as get and as set reaches the service") {
  FakeColibri fake;
  auto s = fake.services();
  for (const char* type : {"get", "set"}) {
    auto reply = answer(iq(type, kExpire), true, s);
    REQUIRE(reply);
    CHECK(reply->findAttribute("type") == "result");
    const gloox::Tag* modified = reply->findChild("conference-modified");
    REQUIRE(modified);
    CHECK(effective_namespace(*modified) == kNsColibri2);
  }
  CHECK(fake.requests.size() == 2);
}

TEST_CASE("bridge_iq: the service's answer is serialized into the result") {
  FakeColibri fake;
  Endpoint ep;
  ep.id = EndpointId("0ebd8a2c");
  fake.answer.endpoints.push_back(ep);
  auto reply = answer(iq("set", kExpire), true, fake.services());
  REQUIRE(reply);
  const gloox::Tag* modified = reply->findChild("conference-modified");
  REQUIRE(modified);
  auto back = parse_conference_modified(*modified);
  REQUIRE(back.has_value());
  CHECK(*back == fake.answer);
}

TEST_CASE("bridge_iq: a malformed conference-modify is a bad-request and never reaches the service") {
  FakeColibri fake;
  auto s = fake.services();
  auto reply = answer(iq("set", "<conference-modify xmlns='jitsi:colibri2'/>"), true, s);
  REQUIRE(reply);
  auto e = error_parts(*reply);
  CHECK(e.type == "modify");
  CHECK(e.condition == "bad-request");
  CHECK(e.text.find("meeting-id") != std::string::npos);
  CHECK(e.reason.empty());

  reply = answer(iq("set",
                    "<conference-modify xmlns='jitsi:colibri2' meeting-id='m'><endpoint id='e'><media "
                    "type='audio'><payload-type xmlns='urn:xmpp:jingle:apps:rtp:1' id='300' "
                    "name='opus'/></media></endpoint></conference-modify>"),
                 true, s);
  REQUIRE(reply);
  e = error_parts(*reply);
  CHECK(e.condition == "bad-request");
  CHECK(e.text.find("payload-type") != std::string::npos);
  CHECK(fake.requests.empty());
}

TEST_CASE("bridge_iq: every Colibri2 error of the service is passed through unchanged") {
  FakeColibri fake;
  auto s = fake.services();
  const std::vector<Colibri2Error> errors = {
      Colibri2Error::conference_already_exists(MeetingId("m")),
      Colibri2Error::graceful_shutdown(),
      Colibri2Error::unsupported_request("two endpoint creates"),
      Colibri2Error::feature_not_implemented("SCTP is disabled"),
      Colibri2Error::invalid_conference_name(),
      Colibri2Error::unknown_relay(RelayId("r")),
  };
  for (const auto& error : errors) {
    CAPTURE(error.text);
    fake.fail = error;
    auto reply = answer(iq("set", kExpire), true, s);
    REQUIRE(reply);
    const gloox::Tag* child = reply->findChild("error");
    REQUIRE(child);
    CHECK(describe(*child, 1) == describe(*serialize_error(error), 1));
  }
}

// ---- Exceptions never escape (an unexpected internal error) ----

TEST_CASE("bridge_iq: a throwing service gives internal-server-error with the exception text") {
  FakeColibri fake;
  auto s = fake.services();
  s.conference_modify = [](const ConferenceModify&) -> jvb::Result<ConferenceModified, Colibri2Error> {
    throw std::runtime_error("conference table corrupted");
  };
  s.health = []() -> HealthReport { throw std::logic_error("no sockets"); };

  auto reply = answer(iq("set", kExpire), true, s);
  REQUIRE(reply);
  auto e = error_parts(*reply);
  CHECK(e.type == "cancel");
  CHECK(e.condition == "internal-server-error");
  CHECK(e.text == "conference table corrupted");
  CHECK(e.reason.empty());

  reply = answer(iq("get", kHealth), true, s);
  REQUIRE(reply);
  e = error_parts(*reply);
  CHECK(e.condition == "internal-server-error");
  CHECK(e.text == "no sockets");

  s.health = []() -> HealthReport { throw 42; };
  reply = answer(iq("get", kHealth), true, s);
  REQUIRE(reply);
  CHECK(error_parts(*reply).condition == "internal-server-error");
}

// ---- Health check (Jicofo's JvbDoctor) ----

TEST_CASE("bridge_iq: health check as get and set; unhealthy without a message still has a text") {
  FakeColibri fake;
  auto s = fake.services();
  for (const char* type : {"get", "set"}) {
    auto reply = answer(iq(type, kHealth), true, s);
    REQUIRE(reply);
    CHECK(reply->findAttribute("type") == "result");
    CHECK(reply->children().empty());
  }
  s.health = [] { return HealthReport{false, ""}; };
  auto reply = answer(iq("get", kHealth), true, s);
  REQUIRE(reply);
  auto e = error_parts(*reply);
  CHECK(e.type == "cancel");
  CHECK(e.condition == "internal-server-error");
  CHECK_FALSE(e.text.empty());
  CHECK(e.reason.empty());
}

// ---- Version (XEP-0092) ----

TEST_CASE("bridge_iq: version get answers name, version and os; set is unsupported") {
  FakeColibri fake;
  auto s = fake.services();
  s.software_name = "jitsi-native-bridge";
  s.software_version = "0.1.0";
  auto reply = answer(iq("get", "<query xmlns='jabber:iq:version'/>"), true, s);
  REQUIRE(reply);
  const gloox::Tag* query = reply->findChild("query");
  REQUIRE(query);
  CHECK(effective_namespace(*query) == kNsVersion);
  REQUIRE(query->children().size() == 3);
  CHECK(query->findChild("name")->cdata() == "jitsi-native-bridge");
  CHECK(query->findChild("version")->cdata() == "0.1.0");
  CHECK(query->findChild("os")->cdata() == "Linux");
  for (const auto* child : query->children()) CHECK(effective_namespace(*child) == kNsVersion);

  reply = answer(iq("set", "<query xmlns='jabber:iq:version'/>"), true, s);
  REQUIRE(reply);
  auto e = error_parts(*reply);
  CHECK(e.condition == "service-unavailable");
  CHECK(e.text == "Unsupported IQ request query");
}

// ---- Anything else (service-unavailable) ----

TEST_CASE("bridge_iq: unknown payloads get service-unavailable with JVB's text") {
  FakeColibri fake;
  auto s = fake.services();
  auto expect_unsupported = [&](const std::string& request, const std::string& text) {
    CAPTURE(request);
    auto reply = answer(request, true, s);
    REQUIRE(reply);
    auto e = error_parts(*reply);
    CHECK(e.type == "cancel");
    CHECK(e.condition == "service-unavailable");
    CHECK(e.text == text);
    CHECK(e.reason.empty());
  };
  expect_unsupported(iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>"),
                     "Unsupported IQ request query");
  expect_unsupported(iq("set", "<graceful-shutdown xmlns='http://jitsi.org/protocol/colibri'/>"),
                     "Unsupported IQ request graceful-shutdown");
  expect_unsupported(iq("get", ""), "Unsupported IQ request");
  // The right name in the wrong namespace (or in none) is another request.
  expect_unsupported(iq("get", "<healthcheck xmlns='http://jitsi.org/protocol/colibri'/>"),
                     "Unsupported IQ request healthcheck");
  expect_unsupported("<iq type='set' id='x'><conference-modify meeting-id='m'/></iq>",
                     "Unsupported IQ request conference-modify");
  // An unbound prefix is no namespace, not the parent's.
  expect_unsupported(
      "<iq xmlns='http://jitsi.org/protocol/healthcheck' type='get' id='x'><h:healthcheck/></iq>",
      "Unsupported IQ request healthcheck");
  CHECK(fake.requests.empty());
}

TEST_CASE("bridge_iq: a service left unset is unsupported") {
  BridgeIqServices s;
  for (const std::string& payload : {kExpire, kHealth}) {
    auto reply = answer(iq("set", payload), true, s);
    REQUIRE(reply);
    CHECK(error_parts(*reply).condition == "service-unavailable");
  }
  // Version needs no service: empty strings give empty elements.
  auto reply = answer(iq("get", "<query xmlns='jabber:iq:version'/>"), true, s);
  REQUIRE(reply);
  CHECK(reply->findAttribute("type") == "result");
}

// ---- Namespaces ----

TEST_CASE("bridge_iq: payload namespaces declared, inherited or prefixed") {
  FakeColibri fake;
  auto s = fake.services();
  auto expect_result = [&](const std::string& request) {
    CAPTURE(request);
    auto reply = answer(request, true, s);
    REQUIRE(reply);
    CHECK(reply->findAttribute("type") == "result");
  };
  // Inherited from the <iq>.
  expect_result("<iq xmlns='http://jitsi.org/protocol/healthcheck' type='get' id='x'><healthcheck/></iq>");
  expect_result(
      "<iq xmlns='jitsi:colibri2' type='set' id='x'><conference-modify meeting-id='m' expire='true'/></iq>");
  // Prefixed, with the prefix declared on the payload or on the <iq>.
  expect_result(
      "<iq type='get' id='x'><h:healthcheck xmlns:h='http://jitsi.org/protocol/healthcheck'/></iq>");
  expect_result("<iq type='get' id='x' xmlns:v='jabber:iq:version'><v:query/></iq>");
  // A prefixed <iq> does not put its unprefixed payload in its own namespace...
  expect_result(
      "<c:iq xmlns:c='jabber:client' xmlns='http://jitsi.org/protocol/healthcheck' type='get' "
      "id='x'><healthcheck/></c:iq>");
  auto reply =
      answer("<c:iq xmlns:c='http://jitsi.org/protocol/healthcheck' type='get' id='x'><healthcheck/></c:iq>",
             true, s);
  REQUIRE(reply);
  CHECK(error_parts(*reply).condition == "service-unavailable");
  CHECK(fake.requests.size() == 1);
}

TEST_CASE("bridge_iq: only the first payload element counts") {
  FakeColibri fake;
  auto reply = answer(iq("get", kHealth + "<foo xmlns='bar'/>"), true, fake.services());
  REQUIRE(reply);
  CHECK(reply->findAttribute("type") == "result");
  reply = answer(iq("get", "<foo xmlns='bar'/>" + kHealth), true, fake.services());
  REQUIRE(reply);
  CHECK(error_parts(*reply).text == "Unsupported IQ request foo");
}

// ---- Helpers for the connection code ----

TEST_CASE("bridge_iq: error_reply and result_reply") {
  auto request = must_parse(iq("set", kExpire, "q=="));
  auto reply = error_reply(*request, Colibri2Error::graceful_shutdown());
  REQUIRE(reply);
  CHECK(reply->findAttribute("to") == kFocus);
  CHECK(reply->findAttribute("id") == "q==");
  auto e = error_parts(*reply);
  CHECK(e.condition == "service-unavailable");
  CHECK(e.reason == "graceful_shutdown");
  CHECK(e.text == "In graceful shutdown");

  reply = result_reply(*request);
  CHECK(reply->findAttribute("type") == "result");
  CHECK(reply->findAttribute("id") == "q==");
  CHECK(reply->children().empty());
}

// ---- effective_namespace (xmpp/colibri2_xml.hpp), which the dispatcher relies on ----

TEST_CASE("effective_namespace: declared, inherited, prefixed, undeclared") {
  auto tag =
      must_parse("<c:iq xmlns:c='C' xmlns='D'><a/><c:b/><e xmlns='E'><f/></e><u:g/><h xmlns=''/></c:iq>");
  CHECK(effective_namespace(*tag) == "C");
  const auto& kids = tag->children();
  REQUIRE(kids.size() == 5);
  auto it = kids.begin();
  CHECK(effective_namespace(**it++) == "D");
  CHECK(effective_namespace(**it++) == "C");
  const gloox::Tag* e = *it++;
  CHECK(effective_namespace(*e) == "E");
  CHECK(effective_namespace(*e->children().front()) == "E");
  CHECK(effective_namespace(**it++) == "");
  CHECK(effective_namespace(**it++) == "");
  CHECK(effective_namespace(*must_parse("<x:a xmlns:x='X'><b/></x:a>")->children().front()) == "");
}
