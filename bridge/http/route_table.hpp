// Request routing for the HTTP servers: path templates matched segment by segment, with
// `{name}` segments capturing one path segment (e.g. /colibri/v2/conferences/{meeting-id}),
// and handlers per method. Pure: no libsoup, so it is unit-tested directly.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace jvb::http {

struct Request;
struct Response;
using Handler = std::function<Response(const Request&)>;

class RouteTable {
 public:
  void add(std::string_view method, std::string_view path_template, Handler handler);

  struct Match {
    const std::map<std::string, Handler, std::less<>>* handlers = nullptr;  // by method; null: no such path
    std::map<std::string, std::string> params;
  };
  Match match(std::string_view path) const;

 private:
  struct Route {
    std::vector<std::string> segments;
    std::map<std::string, Handler, std::less<>> handlers;
  };
  std::vector<Route> routes_;
};

}  // namespace jvb::http
