// The operator's routes on the private HTTP server, as JVB's REST resources Drain.java,
// Shutdown.java and MucClient.java answer them:
//   drain (DRAIN API):        GET /colibri/drain, POST /colibri/drain/enable|disable
//   shutdown (SHUTDOWN API):  POST /colibri/shutdown {"graceful-shutdown": true}
//   XMPP connections (COLIBRI API): POST /colibri/muc-client/add|remove,
//                                   GET /colibri/muc-client/list
// Which of them exist is decided by the caller (JVB's RestConfig.kt); a route not added answers
// 404.
//
// The handlers only parse and answer; what they change is reached through OpsApi, so they
// are unit-tested without a server or a daemon. Bad input gets 400 (or 415 for a body that is
// not declared JSON, as Jersey answers), never an exception.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bridge/http/http_server.hpp"
#include "config/bridge_config.hpp"

namespace jvb::http {

struct OpsApi {
  std::function<bool()> drain;
  std::function<void(bool on)> set_drain;
  std::function<void(bool graceful)> shutdown;

  enum class AddOutcome { kAdded, kUnchanged, kReplaced };
  std::function<AddOutcome(const config::XmppAccount&)> add_muc_client;
  std::function<bool(const std::string& id)> remove_muc_client;  // false: no such id
  std::function<std::vector<std::string>()> muc_client_ids;
};

struct OpsRoutes {
  bool drain = false;
  bool shutdown = false;
  bool muc_client = false;
};

void add_ops_routes(HttpServer& server, OpsRoutes which, OpsApi api);

// The handlers behind the routes, exposed for tests.
Response handle_drain_get(const OpsApi& api);
Response handle_drain_set(const OpsApi& api, bool on);
Response handle_shutdown(const OpsApi& api, const Request& request);
Response handle_muc_client_add(const OpsApi& api, const Request& request);
Response handle_muc_client_remove(const OpsApi& api, const Request& request);
Response handle_muc_client_list(const OpsApi& api);

}  // namespace jvb::http
