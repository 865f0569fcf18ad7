// See debug_state.hpp.
#include "bridge/conference/debug_state.hpp"

#include "bridge/srtp/srtp_profile.hpp"
#include "bridge/transport/endpoint_transport.hpp"
#include "ice/candidate.hpp"

namespace jvb::conference {
namespace {

// The endpoint's transport: ICE, the selected pair, DTLS, SRTP, and why it failed.
nlohmann::json transport_json(transport::EndpointTransport& t, Timestamp now) {
  static constexpr const char* kStates[] = {"new", "connecting", "connected", "failed"};
  static constexpr const char* kIceStates[] = {"new", "checking", "connected", "failed", "closed"};
  nlohmann::json out = {{"state", kStates[static_cast<int>(t.state())]},
                        {"ice_state", kIceStates[static_cast<int>(t.ice_state())]},
                        {"local_ufrag", t.ice().local_credentials().ufrag},
                        {"dtls_state", std::string(dtls::state_name(t.dtls_state()))}};
  if (auto remote = t.ice().selected_remote()) {
    out["selected_remote"] = remote->to_string();
    if (auto type = t.ice().selected_remote_type())
      out["selected_remote_type"] = std::string(ice::to_string(*type));
  }
  if (auto profile = t.srtp_profile()) out["srtp_profile"] = std::string(srtp::profile_name(*profile));
  if (auto last = t.last_received())
    out["ms_since_last_received"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - *last).count();
  if (!t.failure_reason().empty()) out["failure_reason"] = t.failure_reason();
  return out;
}

nlohmann::json conference_json(const Conference& c, Router& router, transport::MediaPort& port,
                               const ForwardingController& forwarding, DebugView view, Timestamp now) {
  nlohmann::json endpoints = nlohmann::json::object();
  for (const auto& [id, e] : c.endpoints) {
    if (view == DebugView::kSummary) {
      endpoints[id.str()] = e.stats_id.value_or("");
      continue;
    }
    // Expired endpoints leave the record at once, so every listed one is live.
    nlohmann::json ep = {
        {"stats_id", e.stats_id.value_or("")}, {"expired", false}, {"sources", e.sources.size()}};
    if (auto* t = port.find(e.handle)) ep["transport"] = transport_json(*t, now);
    if (auto s = router.stats(e.handle, now)) {
      ep["bitrates"] = {{"incoming_bps", s->incoming_bps}, {"outgoing_bps", s->outgoing_bps}};
      ep["packets"] = {{"incoming", s->incoming_packets}, {"outgoing", s->outgoing_packets}};
      ep["bytes"] = {{"incoming", s->incoming_bytes}, {"outgoing", s->outgoing_bytes}};
      // The round trip from the SRs it is sent and its reports (null before the first), and
      // what its reports say it lost of what it was sent.
      ep["rtt_ms"] = s->rtt ? nlohmann::json(std::chrono::duration<double, std::milli>(*s->rtt).count())
                            : nlohmann::json();
      ep["outgoing_loss"] = s->outgoing_loss;
    }
    // The bridge's estimate of the link to it (transport-cc), and what it is made of.
    if (auto b = router.bwe_snapshot(e.handle)) {
      ep["bandwidth_estimation"] = {
          {"target_bps", b->target_bps},
          {"delay_based_bps", b->delay_based_bps},
          {"acknowledged_bps", b->acknowledged_bps ? nlohmann::json(*b->acknowledged_bps) : nlohmann::json()},
          {"loss_fraction", b->loss_fraction},
          {"trend", b->trend},
          {"threshold", b->threshold},
          {"in_alr", b->in_alr}};
    }
    if (auto estimate = router.bandwidth_estimate(e.handle)) ep["estimated_downlink_bps"] = *estimate;
    // The padding sent so that the estimate can grow (JVB's probing bytes).
    if (auto p = router.probing(e.handle)) {
      ep["probing"] = {
          {"padding_packets", p->padding_packets},   {"padding_bytes", p->padding_bytes},
          {"probe_packets", p->probe_packets},       {"probe_bytes", p->probe_bytes},
          {"clusters_started", p->clusters_started}, {"clusters_completed", p->clusters_completed},
          {"clusters_dropped", p->clusters_dropped}, {"nothing_to_send", p->nothing_to_send}};
    }
    // What it sends, per source and encoding: rate, loss, jitter, resolution.
    nlohmann::json incoming = nlohmann::json::array();
    for (const auto& s : router.incoming_streams(e.handle, now)) {
      nlohmann::json stream = {{"source", s.source},     {"kind", s.video ? "video" : "audio"},
                               {"ssrc", s.ssrc},         {"packets", s.packets},
                               {"expected", s.expected}, {"lost", s.lost},
                               {"jitter", s.jitter}};
      if (s.video) {
        stream["encoding"] = s.encoding;
        stream["bps"] = s.bps.value_or(0);
        stream["height"] = s.height;
      }
      incoming.push_back(std::move(stream));
    }
    ep["incoming_streams"] = std::move(incoming);
    nlohmann::json projections = nlohmann::json::array();
    for (const auto& p : router.projections(e.handle)) {
      projections.push_back({{"source", p.source},
                             {"target", p.target},
                             {"current", p.current},
                             {"forwarded", p.counters.forwarded},
                             {"dropped_before_keyframe", p.counters.dropped_before_keyframe},
                             {"dropped_not_current", p.counters.dropped_not_current},
                             {"dropped_padding", p.counters.dropped_padding},
                             {"dropped_temporal", p.counters.dropped_temporal},
                             {"seq_gaps_left", p.counters.seq_gaps_left},
                             {"switches", p.counters.switches},
                             {"keyframe_requests", p.counters.keyframe_requests},
                             {"sender_packets_per_encoding", p.packets_per_encoding},
                             {"sender_keyframes_per_encoding", p.keyframes_per_encoding}});
    }
    ep["video_projections"] = std::move(projections);
    if (auto w = router.rewriting(e.handle)) {
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
    if (auto r = forwarding.receiver_state(e.handle)) {
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
  return {
      {"id", c.id},
      {"rtcstatsEnabled", c.rtcstats_enabled},
      {"name", c.name.value_or("")},
      {"speech_activity", {{"dominantEndpoint", dominant ? nlohmann::json(*dominant) : nlohmann::json()}}},
      {"meeting_id", c.meeting_id.str()},
      {"endpoints", std::move(endpoints)},
      {"relays", nlohmann::json::object()}};
}

}  // namespace

nlohmann::json debug_state(const ConferenceManager& conferences, Router& router, transport::MediaPort& port,
                           const ForwardingController& forwarding, DebugView view, Timestamp now) {
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json list = nlohmann::json::object();
  for (const auto& [meeting, c] : conferences.conferences()) {
    if (view == DebugView::kRtcStats && !c.rtcstats_enabled) continue;
    list[c.id] = conference_json(c, router, port, forwarding, view, now);
  }
  out["conferences"] = std::move(list);
  if (view == DebugView::kFull) {
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
                          {"round_trip_unmatched", c.round_trip_unmatched},
                          {"round_trip_implausible", c.round_trip_implausible},
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
  return out;
}

void merge_debug_state(nlohmann::json& total, const nlohmann::json& part) {
  for (const auto& [key, value] : part.items()) {
    auto& into = total[key];
    if (key == "conferences") {
      for (const auto& [id, c] : value.items()) into[id] = c;
    } else if (value.is_object()) {
      for (const auto& [name, count] : value.items()) {
        auto& sum = into[name];
        if (sum.is_number() && count.is_number()) {
          sum = sum.get<std::uint64_t>() + count.get<std::uint64_t>();
        } else {
          sum = count;
        }
      }
    } else {
      into = value;
    }
  }
}

}  // namespace jvb::conference
