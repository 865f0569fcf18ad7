// HTTP routing: exact paths, {name} captures, methods.
#include "bridge/http/route_table.hpp"

#include <doctest/doctest.h>

#include "bridge/http/http_server.hpp"

namespace jvb::http {
namespace {

Handler answer(int status) {
  return [status](const Request&) { return Response{status, "text/plain", "", {}}; };
}

TEST_CASE("exact paths and templates") {
  RouteTable t;
  t.add("GET", "/about/health", answer(200));
  t.add("POST", "/colibri/v2/conferences", answer(201));
  t.add("PATCH", "/colibri/v2/conferences/{meeting-id}", answer(202));
  t.add("GET", "/colibri/v2/conferences/{meeting-id}", answer(501));

  auto health = t.match("/about/health");
  REQUIRE(health.handlers);
  CHECK(health.handlers->count("GET") == 1);
  CHECK(health.params.empty());

  auto patch = t.match("/colibri/v2/conferences/4340a148-a8cb");
  REQUIRE(patch.handlers);
  CHECK(patch.handlers->size() == 2);  // PATCH and GET share the template
  CHECK(patch.params.at("meeting-id") == "4340a148-a8cb");

  CHECK(t.match("/colibri/v2/conferences").handlers->count("POST") == 1);
  CHECK(t.match("/colibri/v2/conferences/").handlers->count("POST") ==
        1);  // a trailing slash is the same path
  CHECK_FALSE(t.match("/colibri/v2/conferences/a/b").handlers);
  CHECK_FALSE(t.match("/about").handlers);
  CHECK_FALSE(t.match("/").handlers);
  CHECK_FALSE(t.match("").handlers);
}

TEST_CASE("re-adding a method replaces its handler") {
  RouteTable t;
  t.add("GET", "/x", answer(200));
  t.add("GET", "/x", answer(204));
  Request r;
  CHECK(t.match("/x").handlers->at("GET")(r).status == 204);
}

}  // namespace
}  // namespace jvb::http
