// See route_table.hpp.
#include "bridge/http/route_table.hpp"

#include "bridge/http/http_server.hpp"

namespace jvb::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) segments.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void RouteTable::add(std::string_view method, std::string_view path_template, Handler handler) {
  std::vector<std::string> segments = split_path(path_template);
  for (Route& r : routes_) {
    if (r.segments == segments) {
      r.handlers[std::string(method)] = std::move(handler);
      return;
    }
  }
  Route r{std::move(segments), {}};
  r.handlers[std::string(method)] = std::move(handler);
  routes_.push_back(std::move(r));
}

RouteTable::Match RouteTable::match(std::string_view path) const {
  std::vector<std::string> segments = split_path(path);
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    Match m;
    bool ok = true;
    for (std::size_t i = 0; ok && i < segments.size(); ++i) {
      if (is_param(r.segments[i])) {
        m.params[r.segments[i].substr(1, r.segments[i].size() - 2)] = segments[i];
      } else {
        ok = r.segments[i] == segments[i];
      }
    }
    if (ok) {
      m.handlers = &r.handlers;
      return m;
    }
  }
  return {};
}

}  // namespace jvb::http
