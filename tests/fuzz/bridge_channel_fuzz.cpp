// libFuzzer target for bridge/channel/bridge_channel_message.hpp (the client classes of JVB's
// BridgeChannelMessage.kt): arbitrary bytes as a client message. Beyond memory safety it checks the
// codec's promises: a failure always has a category and a short printable reason; whatever parses
// is written back (by its serializer, or relayed with a new `from`) in a form that parses to the
// same value; and the serializers turn any bytes into valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "bridge/channel/bridge_channel_message.hpp"
#include "bridge/channel/raw_json_object.hpp"

namespace {

using namespace jvb::channel;

constexpr std::string_view kSender = "fuzz\"sender\\";

void check(bool ok) {
  if (!ok) std::abort();
}

void check_error(const ParseError& e) {
  check(static_cast<std::size_t>(e.category) < kParseErrorCategoryCount);
  check(!e.reason.empty() && e.reason.size() < 160);
  for (char c : e.reason) check(c >= 0x20 && c < 0x7F);
}

ClientMessage reparse(const std::string& text) {
  auto r = parse_client_message(text);
  check(r.has_value());
  return std::move(*r);
}

// The relayed text is the same message from kSender, and relaying it again changes nothing.
template <class M>
void check_relay(const M& m) {
  const std::string out = relay_with_from(m.raw, kSender);
  if (out.size() > kMaxMessageBytes) return;  // `from` pushed it over the limit
  auto again = reparse(out);
  check(std::holds_alternative<M>(again));
  const M& m2 = std::get<M>(again);
  check(m2.raw.from() == std::string(kSender));
  check(relay_with_from(m2.raw, kSender) == out);
  if constexpr (std::is_same_v<M, EndpointMessage>) check(m2.to == m.to);
}

void check_round_trip(const ClientMessage& message) {
  std::visit(
      [](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, EndpointMessage> || std::is_same_v<M, EndpointStats>) {
          check_relay(m);
        } else {
          const std::string text = serialize(m);
          // Defaults written out ("include":[]) and number forms ("1e22" -> "1e+22") can make
          // the output of an input near the limit longer than the limit.
          if (text.size() > kMaxMessageBytes) return;
          auto again = reparse(text);
          check(std::holds_alternative<M>(again));
          check(std::get<M>(again) == m);
          check(serialize(std::get<M>(again)) == text);
        }
      },
      message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto message = parse_client_message(input);
  if (message) {
    check_round_trip(*message);
  } else {
    check_error(message.error());
  }

  auto raw = RawJsonObject::parse(input);
  if (raw) {
    const std::string out = relay_with_from(*raw, kSender);
    auto again = RawJsonObject::parse(out);
    check(again.has_value() || out.size() > kMaxMessageBytes);
    if (again) check(again->from() == std::string(kSender));
  } else {
    check_error(raw.error());
  }

  // Any bytes as a string member: the output is JSON that reads back as the same message, once
  // ill-formed UTF-8 has been replaced.
  if (size <= 4096) {
    const SourceVideoTypeMessage svt{std::string(input), VideoType::kDesktop, std::string(input)};
    const std::string text = serialize(svt);
    auto again = reparse(text);
    const auto& m = std::get<SourceVideoTypeMessage>(again);
    check(serialize(m) == text);
    check(m.endpoint_id == m.source_name);
  }
  return 0;
}
