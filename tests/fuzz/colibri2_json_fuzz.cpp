// libFuzzer target for bridge/signaling/colibri2_json.hpp (JVB's Colibri2 REST JSON): arbitrary
// bytes as a conference-modify body and as a conference-modified body. Beyond memory safety it
// checks the codec's promise: whatever parses is written back in a form that parses to the same
// model, and a failure is always a bad-request with a text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bridge/signaling/colibri2_json.hpp"

namespace {

using namespace jvb::signaling;

template <class R>
void check_failure(const R& r) {
  if (r.error().condition != StanzaErrorCondition::kBadRequest || r.error().text.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  auto request = parse_conference_modify_json(body);
  if (request) {
    auto again = parse_conference_modify_json(serialize_conference_modify_json(*request));
    if (!again || !(*again == *request)) std::abort();
  } else {
    check_failure(request);
  }
  // A PATCH body: the meeting-id comes from the path.
  auto patch = parse_conference_modify_json(body, MeetingId("path-id"));
  if (patch) {
    if (!(patch->meeting_id == MeetingId("path-id"))) std::abort();
  } else {
    check_failure(patch);
  }

  auto response = parse_conference_modified_json(body);
  if (response) {
    auto again = parse_conference_modified_json(serialize_conference_modified_json(*response));
    if (!again || !(*again == *response)) std::abort();
  } else {
    check_failure(response);
  }
  return 0;
}
