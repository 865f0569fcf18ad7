// See debug_api.hpp.
#include "bridge/http/debug_api.hpp"

#include <nlohmann/json.hpp>

namespace jvb::http {
namespace {

nlohmann::json conference_json(const conference::Conference& c, conference::Router& router,
                               const conference::ForwardingController& forwarding, bool full, Timestamp now) {
  nlohmann::json endpoints = nlohmann::json::object();
  for (const auto& [id, e] : c.endpoints) {
    if (!full) {
      endpoints[id.str()] = e.stats_id.value_or("");
      continue;
    }
    nlohmann::json ep = {{"stats_id", e.stats_id.value_or("")}, {"sources", e.sources.size()}};
    if (auto s = router.stats(e.transport, now)) {
      ep["bitrates"] = {{"incoming_bps", s->incoming_bps}, {"outgoing_bps", s->outgoing_bps}};
      ep["packets"] = {{"incoming", s->incoming_packets}, {"outgoing", s->outgoing_packets}};
      ep["bytes"] = {{"incoming", s->incoming_bytes}, {"outgoing", s->outgoing_bytes}};
    }
    nlohmann::json projections = nlohmann::json::array();
    for (const auto& p : router.projections(e.transport)) {
      projections.push_back({{"source", p.source},
                             {"target", p.target},
                             {"current", p.current},
                             {"forwarded", p.counters.forwarded},
                             {"dropped_before_keyframe", p.counters.dropped_before_keyframe},
                             {"dropped_not_current", p.counters.dropped_not_current},
                             {"switches", p.counters.switches},
                             {"keyframe_requests", p.counters.keyframe_requests},
                             {"sender_packets_per_encoding", p.packets_per_encoding},
                             {"sender_keyframes_per_encoding", p.keyframes_per_encoding}});
    }
    ep["video_projections"] = std::move(projections);
    if (auto w = router.rewriting(e.transport)) {
      const auto& k = w->counters;
      ep["ssrc_rewriting"] = {{"video_slots", w->video_slots},
                              {"audio_slots", w->audio_slots},
                              {"mid_demux", w->mids},
                              {"forwarded", k.forwarded},
                              {"mappings", k.mappings},
                              {"remaps", k.remaps},
                              {"dropped_no_slot", k.dropped_no_slot},
                              {"dropped_waiting_keyframe", k.dropped_waiting_keyframe},
                              {"dropped_late", k.dropped_late},
                              {"dropped_bad_packet", k.dropped_bad_packet + k.dropped_bad_payload},
                              {"mids_stamped", k.mids_stamped},
                              {"mid_stamp_failures", k.mid_stamp_failures}};
    }
    if (auto r = forwarding.receiver_state(e.transport)) {
      ep["bridge_channel"] = {{"open", r->channel_open},
                              {"messages_in", r->messages_in},
                              {"messages_out", r->messages_out},
                              {"messages_dropped", r->messages_dropped}};
      ep["allocation"] = {{"last_n", r->last_n},
                          {"effective_last_n", r->effective_last_n},
                          {"default_max_height", r->default_max_height},
                          {"on_stage_sources", r->on_stage_sources},
                          {"selected_sources", r->selected_sources},
                          {"forwarded_sources", r->forwarded_sources}};
    }
    endpoints[id.str()] = std::move(ep);
  }
  auto dominant = forwarding.dominant_speaker(c.id);
  return {{"id", c.id},
          {"name", c.name.value_or("")},
          {"dominant_speaker", dominant ? nlohmann::json(*dominant) : nlohmann::json()},
          {"meeting_id", c.meeting_id.str()},
          {"endpoints", std::move(endpoints)},
          {"relays", nlohmann::json::object()}};
}

}  // namespace

void add_debug_routes(HttpServer& server, const conference::ConferenceManager& conferences,
                      conference::Router& router, const conference::ForwardingController& forwarding,
                      const ShutdownManager& shutdown) {
  server.route("GET", "/debug", [&conferences, &router, &forwarding, &shutdown](const Request& r) {
    auto full = r.query.find("full");
    bool is_full = full != r.query.end() && full->second == "true";
    Timestamp now = Clock::now();
    nlohmann::json out = {{"shutdown_state", shutdown_state_name(shutdown.state())},
                          {"drain", shutdown.drain()},
                          {"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()}};
    nlohmann::json list = nlohmann::json::object();
    for (const auto& [meeting, c] : conferences.conferences())
      list[c.id] = conference_json(c, router, forwarding, is_full, now);
    out["conferences"] = std::move(list);
    if (is_full) {
      const auto& c = router.counters();
      out["packet_path"] = {{"rtp_in", c.rtp_in},
                            {"rtcp_in", c.rtcp_in},
                            {"rtp_out", c.rtp_out},
                            {"rtcp_out", c.rtcp_out},
                            {"dropped_unparsable", c.dropped_unparsable},
                            {"dropped_unknown_ssrc", c.dropped_unknown_ssrc},
                            {"dropped_unknown_pt", c.dropped_unknown_pt},
                            {"dropped_muted", c.dropped_muted},
                            {"dropped_duplicate", c.dropped_duplicate},
                            {"dropped_rtx_padding", c.dropped_rtx_padding},
                            {"send_failures", c.send_failures},
                            {"keyframe_requests_sent", c.keyframe_requests_sent},
                            {"nacks_received", c.nacks_received},
                            {"retransmissions", c.retransmissions},
                            {"retransmission_misses", c.retransmission_misses},
                            {"dropped_receiver_not_connected", c.dropped_receiver_not_connected},
                            {"dropped_by_rewriting", c.dropped_by_rewriting}};
      const auto& f = forwarding.counters();
      out["bridge_channel"] = {{"messages_in", f.messages_in},
                               {"messages_out", f.messages_out},
                               {"dropped_unparsable", f.dropped_unparsable},
                               {"dropped_unexpected", f.dropped_unexpected},
                               {"dropped_rate_limited", f.dropped_rate_limited},
                               {"dropped_unknown_target", f.dropped_unknown_target},
                               {"outgoing_dropped", f.outgoing_dropped},
                               {"allocations", f.allocations},
                               {"dominant_speaker_changes", f.dominant_speaker_changes}};
    }
    return Response{200, "application/json", out.dump(), {}};
  });
}

}  // namespace jvb::http
