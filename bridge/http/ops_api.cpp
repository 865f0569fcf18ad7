// See ops_api.hpp.
#include "bridge/http/ops_api.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>

#include "bridge/core/log.hpp"
#include "bridge/core/strings.hpp"
#include "config/xmpp_accounts.hpp"

namespace jvb::http {
namespace {

constexpr log::Logger kLog{"OpsApi"};

Response text(int status, std::string body) { return {status, "text/plain", std::move(body), {}}; }

// JVB answers these with an empty 200; a JSON content type on it would promise a body.
Response ok() { return text(200, ""); }

bool is_json(const Request& r) {
  std::string_view type = r.content_type;
  type = type.substr(0, type.find(';'));
  return iequals(trim_view(type), "application/json");
}

// The JSON object of a request, or the answer that refuses it: 415 for a body not declared as
// JSON (Jersey's answer for JVB), 400 for one that is not a JSON object.
Result<nlohmann::json, Response> json_object(const Request& r) {
  if (!is_json(r)) return unexpected(text(415, "Unsupported Media Type: send application/json"));
  auto body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return unexpected(text(400, "The body is not valid JSON"));
  if (!body.is_object()) return unexpected(text(400, "The body must be a JSON object"));
  return body;
}

// Ids come from JSON already checked as UTF-8, or from the configuration; replace rather than
// throw if one ever is not.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Response handle_drain_get(const OpsApi& api) {
  return {200, "application/json", dump(nlohmann::json{{"drain", api.drain()}}), {}};
}

Response handle_drain_set(const OpsApi& api, bool on) {
  kLog.info("Drain mode {} over HTTP", on ? "enabled" : "disabled");
  api.set_drain(on);
  return ok();
}

Response handle_shutdown(const OpsApi& api, const Request& request) {
  auto body = json_object(request);
  if (!body) return std::move(body).error();
  auto field = body->find("graceful-shutdown");
  if (field == body->end()) return text(400, "Missing field graceful-shutdown");
  bool graceful = false;
  // The bundled graceful_shutdown.sh sends the string "true", which JVB's Jackson accepts too.
  if (field->is_boolean()) {
    graceful = field->get<bool>();
  } else if (field->is_string() && iequals(field->get_ref<const std::string&>(), "true")) {
    graceful = true;
  } else if (field->is_string() && iequals(field->get_ref<const std::string&>(), "false")) {
    graceful = false;
  } else {
    return text(400, "graceful-shutdown must be true or false, got " + dump(*field));
  }
  api.shutdown(graceful);
  return ok();
}

Response handle_muc_client_add(const OpsApi& api, const Request& request) {
  auto body = json_object(request);
  if (!body) return std::move(body).error();
  auto id = body->find("id");
  if (id == body->end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return text(400, "Missing id (a non-empty string)");
  }
  // Only string fields are properties (§2.9): JVB ignores the others, so ports and booleans
  // must be sent as strings.
  std::map<std::string, std::string> properties;
  for (const auto& [name, value] : body->items()) {
    if (name != "id" && value.is_string()) properties[name] = value.get<std::string>();
  }
  auto account = config::xmpp_account_from_properties(id->get<std::string>(), properties);
  if (!account) return text(400, account.error());
  switch (api.add_muc_client(*account)) {
    case OpsApi::AddOutcome::kAdded:
      kLog.info("XMPP account {} added over HTTP", account->id);
      break;
    case OpsApi::AddOutcome::kReplaced:
      kLog.info("XMPP account {} replaced over HTTP", account->id);
      break;
    case OpsApi::AddOutcome::kUnchanged:
      kLog.info("XMPP account {} already exists with the same server and user; nothing changed", account->id);
      break;
  }
  return ok();
}

Response handle_muc_client_remove(const OpsApi& api, const Request& request) {
  auto body = json_object(request);
  if (!body) return std::move(body).error();
  auto id = body->find("id");
  if (id == body->end() || !id->is_string()) return text(400, "Missing id (a string)");
  if (!api.remove_muc_client(id->get<std::string>())) {
    return text(400, "No XMPP account with id " + dump(*id));
  }
  kLog.info("XMPP account {} removed over HTTP", id->get_ref<const std::string&>());
  return ok();
}

Response handle_muc_client_list(const OpsApi& api) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& id : api.muc_client_ids()) ids.push_back(id);
  return {200, "application/json", dump(ids), {}};
}

void add_ops_routes(HttpServer& server, OpsRoutes which, OpsApi api) {
  auto shared = std::make_shared<const OpsApi>(std::move(api));
  if (which.drain) {
    server.route("GET", "/colibri/drain", [shared](const Request&) { return handle_drain_get(*shared); });
    server.route("POST", "/colibri/drain/enable",
                 [shared](const Request&) { return handle_drain_set(*shared, true); });
    server.route("POST", "/colibri/drain/disable",
                 [shared](const Request&) { return handle_drain_set(*shared, false); });
  }
  if (which.shutdown) {
    server.route("POST", "/colibri/shutdown",
                 [shared](const Request& r) { return handle_shutdown(*shared, r); });
  }
  if (which.muc_client) {
    server.route("POST", "/colibri/muc-client/add",
                 [shared](const Request& r) { return handle_muc_client_add(*shared, r); });
    server.route("POST", "/colibri/muc-client/remove",
                 [shared](const Request& r) { return handle_muc_client_remove(*shared, r); });
    server.route("GET", "/colibri/muc-client/list",
                 [shared](const Request&) { return handle_muc_client_list(*shared); });
  }
}

}  // namespace jvb::http
