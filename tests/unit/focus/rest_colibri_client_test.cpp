// Tests of colibri_result_from_rest (tools/focus/rest_colibri_client.hpp): HTTP answers of the
// bridge's REST API (JVB's /colibri/v2/conferences) as Colibri2 results.
#include <doctest/doctest.h>

#include "tools/focus/rest_colibri_client.hpp"

namespace jvb::focus {
namespace {

TEST_CASE("200 with a conference-modified body parses; an empty body is an empty answer") {
  BridgeReply reply;
  reply.status = 200;
  reply.body = R"({"endpoints":[{"id":"ep1"}]})";
  auto result = colibri_result_from_rest(reply);
  REQUIRE(result.has_value());
  REQUIRE(result->endpoints.size() == 1);
  CHECK(result->endpoints[0].id.str() == "ep1");

  reply.body = " \n";
  auto empty = colibri_result_from_rest(reply);
  REQUIRE(empty.has_value());
  CHECK(empty->endpoints.empty());
}

TEST_CASE("HTTP errors and unparsable bodies fail with a readable text") {
  BridgeReply refused;
  refused.status = 400;
  refused.body = "Failed to create conference: boom\n";
  auto failed = colibri_result_from_rest(refused);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().text == "HTTP 400: Failed to create conference: boom");
  CHECK(failed.error().condition.empty());

  BridgeReply unreachable;
  unreachable.error = "Connection refused";
  CHECK(colibri_result_from_rest(unreachable).error().text == "bridge unreachable: Connection refused");

  BridgeReply garbage;
  garbage.status = 200;
  garbage.body = "not json";
  auto bad = colibri_result_from_rest(garbage);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().text.find("not a conference-modified") != std::string::npos);
}

}  // namespace
}  // namespace jvb::focus
