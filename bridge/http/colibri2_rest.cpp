// See colibri2_rest.hpp.
#include "bridge/http/colibri2_rest.hpp"

#include "bridge/core/strings.hpp"
#include "bridge/signaling/colibri2_json.hpp"

namespace jvb::http {
namespace {

Response error_response(const signaling::RestErrorResponse& e) {
  return {e.status, "text/plain", e.text, {}};
}

bool is_json(const Request& r) {
  std::string_view type = r.content_type;
  type = type.substr(0, type.find(';'));
  return iequals(trim_view(type), "application/json");
}

Response apply(const Colibri2Api& api, const Request& request, signaling::RestMethod method,
               const std::optional<signaling::MeetingId>& path_id) {
  // Jersey answers a JSON endpoint called with another media type with 415.
  if (!is_json(request)) return {415, "text/plain", "Unsupported Media Type", {}};
  auto parsed = signaling::parse_conference_modify_json(request.body, path_id);
  if (!parsed) return error_response(signaling::rest_error_response(parsed.error(), method));
  auto result = api.handle(*parsed);
  if (!result) return error_response(signaling::rest_error_response(result.error(), method));
  return {200, "application/json", signaling::serialize_conference_modified_json(*result), {}};
}

}  // namespace

void add_colibri2_routes(HttpServer& server, Colibri2Api api) {
  auto shared = std::make_shared<Colibri2Api>(std::move(api));
  server.route("POST", "/colibri/v2/conferences", [shared](const Request& r) {
    return apply(*shared, r, signaling::RestMethod::kPost, std::nullopt);
  });
  server.route("PATCH", "/colibri/v2/conferences/{meeting-id}", [shared](const Request& r) {
    signaling::MeetingId id(r.params.at("meeting-id"));
    if (!shared->exists(id)) return error_response(signaling::rest_conference_not_found());
    return apply(*shared, r, signaling::RestMethod::kPatch, id);
  });
  server.route("GET", "/colibri/v2/conferences",
               [](const Request&) { return error_response(signaling::rest_not_implemented()); });
  server.route("GET", "/colibri/v2/conferences/{meeting-id}", [shared](const Request& r) {
    if (!shared->exists(signaling::MeetingId(r.params.at("meeting-id")))) {
      return error_response(signaling::rest_conference_not_found());
    }
    return error_response(signaling::rest_not_implemented());
  });
}

}  // namespace jvb::http
