// Names shared by the bridge-channel parser and serializers (JVB's BridgeChannelMessage.kt):
// video types, error categories, message classes.
#include "bridge/channel/bridge_channel_message.hpp"

#include <array>
#include <utility>

#include "bridge/core/strings.hpp"

namespace jvb::channel {
namespace {

constexpr std::array<std::pair<VideoType, std::string_view>, 5> kVideoTypeNames{{
    {VideoType::kCamera, "CAMERA"},
    {VideoType::kDesktop, "DESKTOP"},
    {VideoType::kDesktopHighFps, "DESKTOP_HIGH_FPS"},
    {VideoType::kNone, "NONE"},
    {VideoType::kDisabled, "DISABLED"},
}};

}  // namespace

std::string_view to_string(VideoType type) {
  for (const auto& [value, name] : kVideoTypeNames) {
    if (value == type) return name;
  }
  return "NONE";  // unreachable: every enumerator is listed
}

std::optional<VideoType> video_type_from_string(std::string_view name) {
  for (const auto& [value, text] : kVideoTypeNames) {
    if (iequals(name, text)) return value;
  }
  return std::nullopt;
}

std::string_view to_string(ParseErrorCategory category) {
  switch (category) {
    case ParseErrorCategory::kTooLarge:
      return "too_large";
    case ParseErrorCategory::kTooDeep:
      return "too_deep";
    case ParseErrorCategory::kInvalidJson:
      return "invalid_json";
    case ParseErrorCategory::kDuplicateKey:
      return "duplicate_key";
    case ParseErrorCategory::kNotAnObject:
      return "not_an_object";
    case ParseErrorCategory::kMissingClass:
      return "missing_class";
    case ParseErrorCategory::kUnknownClass:
      return "unknown_class";
    case ParseErrorCategory::kUnexpectedClass:
      return "unexpected_class";
    case ParseErrorCategory::kMissingField:
      return "missing_field";
    case ParseErrorCategory::kWrongType:
      return "wrong_type";
    case ParseErrorCategory::kInvalidValue:
      return "invalid_value";
  }
  return "unknown";
}

std::string_view colibri_class(const ClientMessage& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kColibriClass; }, message);
}

}  // namespace jvb::channel
