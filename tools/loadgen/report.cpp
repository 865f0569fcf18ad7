// See report.hpp.
#include "tools/loadgen/report.hpp"

#include <fmt/format.h>

#include <map>

namespace jvb::loadgen {
namespace {

constexpr std::size_t kNamesShown = 5;

LatencySummary summarize(const LatencyHistogram& h) {
  LatencySummary s;
  s.samples = h.count();
  auto ms = [](std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; };
  if (auto p = h.percentile(50)) s.p50_ms = ms(*p);
  if (auto p = h.percentile(99)) s.p99_ms = ms(*p);
  if (s.samples > 0) s.max_ms = ms(h.max());
  return s;
}

double percent(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// "a, b, c and 4 more"
std::string some_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kNamesShown) out += fmt::format(" and {} more", names.size() - kNamesShown);
  return out;
}

void add_failures(const RunInfo& run, Report& r) {
  const Options& o = *run.options;
  const Plan& plan = *run.plan;
  std::vector<std::string> unallocated, unconnected, no_channel, silent, deaf, blind;
  std::size_t missing_pairs = 0;
  for (std::size_t i = 0; i < r.per_endpoint.size(); ++i) {
    const EndpointReport& e = r.per_endpoint[i];
    std::string name = fmt::format("{}/{}", e.conference, e.id);
    if (i >= run.endpoints.size() || !run.endpoints[i]) {
      unallocated.push_back(name + (e.error.empty() ? "" : " (" + e.error + ")"));
      continue;
    }
    if (!e.connected) {
      unconnected.push_back(name + (e.error.empty() ? "" : " (" + e.error + ")"));
      continue;
    }
    if (!e.channel_open) no_channel.push_back(name);
    if (e.rtp_sent == 0) silent.push_back(name);
    bool any_video = false;
    std::vector<std::string> missing;
    for (const auto& [sender, from] : e.from) {
      if (from.audio_packets == 0) missing.push_back(sender);
      any_video = any_video || from.video_packets > 0;
    }
    if (!missing.empty()) {
      ++missing_pairs;
      deaf.push_back(name + " <- " + some_names(missing));
    }
    // Video is due when someone else in the conference sends it and the constraints allow it.
    const auto& members = plan.conferences[e.conference].endpoints;
    bool other_sender = false;
    for (std::size_t m : members)
      if (plan.endpoints[m].id != e.id && plan.endpoints[m].sends_video) other_sender = true;
    if (other_sender && o.last_n != 0 && o.max_height != 0 && !any_video) blind.push_back(name);
  }
  if (!unallocated.empty())
    r.failures.push_back(fmt::format("{} endpoint(s) not allocated by the bridge: {}", unallocated.size(),
                                     some_names(unallocated)));
  if (!unconnected.empty())
    r.failures.push_back(
        fmt::format("{} endpoint(s) not connected: {}", unconnected.size(), some_names(unconnected)));
  if (!no_channel.empty())
    r.failures.push_back(fmt::format("{} endpoint(s) without a bridge channel (no colibri-ws?): {}",
                                     no_channel.size(), some_names(no_channel)));
  if (!silent.empty())
    r.failures.push_back(fmt::format("{} endpoint(s) sent no media: {}", silent.size(), some_names(silent)));
  if (!deaf.empty())
    r.failures.push_back(
        fmt::format("{} endpoint(s) missed audio from others: {}", missing_pairs, some_names(deaf)));
  if (!blind.empty())
    r.failures.push_back(
        fmt::format("{} endpoint(s) received no video: {}", blind.size(), some_names(blind)));
}

}  // namespace

void add_sender_counters(Report& r, const EndpointCounters& c) {
  r.rtp_sent += c.rtp_sent;
  r.rtp_bytes_sent += c.rtp_bytes_sent;
  r.audio_sent += c.audio_sent;
  r.video_sent += c.video_sent;
  r.rtx_sent += c.rtx_sent;
  r.rtcp_sent += c.rtcp_sent;
  r.rtcp_received += c.rtcp_received;
  r.plis_received += c.plis_received;
  r.firs_received += c.firs_received;
  r.nacks_received += c.nacks_received;
  r.rtx_unavailable += c.rtx_unavailable;
  r.tcc_feedback_received += c.tcc_feedback_received;
  r.audio_frames_late += c.audio_frames_late;
  r.video_frames_late += c.video_frames_late;
  r.unknown_ssrc += c.unknown_ssrc;
  r.malformed += c.malformed;
}

Report make_report(const RunInfo& run) {
  const Plan& plan = *run.plan;
  Report r;
  r.measured_s = run.measured_s;
  r.sample_every = plan.sample_every;
  r.endpoints = plan.endpoints.size();
  r.cpu_s = run.cpu_s;
  r.bridge_cpu_s = run.bridge_cpu_s;
  r.udp_receive_buffer_errors = run.udp_receive_buffer_errors;
  r.send_failures = run.send_failures;
  LatencyHistogram audio, video;
  double audio_jitter = 0, video_jitter = 0;
  std::size_t audio_streams = 0, video_streams = 0;
  std::map<int, LayerReport> layers;

  for (const auto& p : plan.endpoints) {
    EndpointReport er;
    er.id = p.id;
    er.conference = p.conference;
    er.sampled = p.sampled;
    if (p.index < run.allocation_errors.size()) er.error = run.allocation_errors[p.index];
    const SyntheticEndpoint* e = p.index < run.endpoints.size() ? run.endpoints[p.index] : nullptr;
    if (!e) {
      r.per_endpoint.push_back(std::move(er));
      continue;
    }
    if (er.error.empty()) er.error = e->failure();
    er.connected = e->connected();
    er.channel_open = p.index < run.channel_open.size() && run.channel_open[p.index];
    r.connected += er.connected ? 1 : 0;
    r.channels_open += er.channel_open ? 1 : 0;
    r.sampled += p.sampled ? 1 : 0;

    const EndpointCounters& c = e->counters();
    add_sender_counters(r, c);
    r.rtp_received += c.rtp_received;
    r.rtp_bytes_received += c.rtp_bytes_received;
    r.decrypted += c.decrypted;
    r.nacks_sent += c.nacks_sent;
    r.keyframes_received += c.keyframes_received;
    r.tcc_feedback_sent += c.tcc_feedback_sent;
    er.rtp_sent = c.rtp_sent;
    er.rtp_received = c.rtp_received;
    audio.merge(e->audio_latency());
    video.merge(e->video_latency());
    for (const auto& [height, counts] : e->layers()) {
      LayerReport& l = layers[height];
      l.height = height;
      l.packets += counts.packets;
      l.bytes += counts.bytes;
    }

    std::map<std::size_t, FromReport> from;
    for (const auto& [ssrc, s] : e->streams()) {
      er.expected += s.loss.expected();
      er.lost += s.loss.lost();
      r.lost_before_repair += s.loss.lost_before_repair();
      r.repaired += s.loss.repaired();
      r.duplicates += s.loss.duplicates();
      r.reordered += s.loss.reordered();
      bool is_audio = s.info.kind == SsrcInfo::Kind::kAudio;
      FromReport& f = from[s.info.endpoint];
      (is_audio ? f.audio_packets : f.video_packets) += s.loss.packets();
      if (s.rtcp->valid()) {
        double ms = 1000.0 * s.rtcp->jitter() / s.rtcp->clock_rate();
        (is_audio ? audio_jitter : video_jitter) += ms;
        ++(is_audio ? audio_streams : video_streams);
      }
      if (p.sampled && !is_audio) {
        LayerReport& l = layers[s.height];
        l.height = s.height;
        ++l.streams;
      }
    }
    r.expected += er.expected;
    r.lost += er.lost;
    for (std::size_t m : plan.conferences[p.conference].endpoints) {
      if (m == p.index) continue;
      auto it = from.find(m);
      er.from.emplace_back(plan.endpoints[m].id, it == from.end() ? FromReport{} : it->second);
    }
    r.per_endpoint.push_back(std::move(er));
  }
  r.loss_pct = percent(r.lost, r.expected);
  r.loss_before_repair_pct = percent(r.lost_before_repair, r.expected);
  r.audio_latency = summarize(audio);
  r.video_latency = summarize(video);
  if (audio_streams) r.audio_jitter_ms = audio_jitter / static_cast<double>(audio_streams);
  if (video_streams) r.video_jitter_ms = video_jitter / static_cast<double>(video_streams);
  for (auto& [height, l] : layers) {
    if (run.measured_s > 0) l.kbps = static_cast<double>(l.bytes) * 8 / run.measured_s / 1000;
    if (l.packets > 0 || l.streams > 0) r.layers.push_back(l);
  }
  if (r.bridge_cpu_s && r.rtp_received > 0)
    r.bridge_ns_per_received_packet = *r.bridge_cpu_s * 1e9 / static_cast<double>(r.rtp_received);
  add_failures(run, r);
  return r;
}

std::string format_text(const Report& r, const Options& o) {
  auto rate = [&](std::uint64_t bytes) {
    return r.measured_s > 0 ? static_cast<double>(bytes) * 8 / r.measured_s / 1e6 : 0.0;
  };
  auto pps = [&](std::uint64_t packets) {
    return r.measured_s > 0 ? static_cast<double>(packets) / r.measured_s : 0.0;
  };
  auto latency = [](const LatencySummary& s) {
    if (!s.samples) return std::string("no samples");
    return fmt::format("p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms ({} samples)", *s.p50_ms, *s.p99_ms,
                       *s.max_ms, s.samples);
  };
  auto optional_ms = [](std::optional<double> v) {
    return v ? fmt::format("{:.2f} ms", *v) : std::string("-");
  };
  std::string out;
  out += fmt::format(
      "loadgen: {} conference(s) x {} participants ({} sending video, {} speaking{}), last-n {}, max-height "
      "{}{}; "
      "{:.1f} s measured\n",
      o.conferences, o.participants, o.video_senders(), o.speakers, o.dtx ? ", DTX" : "", o.last_n,
      o.max_height, o.on_stage ? ", on-stage 720" : "", r.measured_s);
  out += fmt::format("endpoints:  {}/{} connected, bridge channel open on {}, {} sampled (1 in {})\n",
                     r.connected, r.endpoints, r.channels_open, r.sampled, r.sample_every);
  out += fmt::format(
      "sent:       {} RTP ({} audio, {} video, {} RTX), {:.0f} packets/s, {:.2f} Mbit/s; {} RTCP\n",
      r.rtp_sent, r.audio_sent, r.video_sent, r.rtx_sent, pps(r.rtp_sent), rate(r.rtp_bytes_sent),
      r.rtcp_sent);
  out += fmt::format("received:   {} RTP, {:.0f} packets/s, {:.2f} Mbit/s ({} decrypted); {} RTCP\n",
                     r.rtp_received, pps(r.rtp_received), rate(r.rtp_bytes_received), r.decrypted,
                     r.rtcp_received);
  out += fmt::format(
      "loss:       {:.3f}% after RTX repair ({} of {} expected), {:.3f}% before; {} repaired, {} reordered, "
      "{} "
      "duplicates\n",
      r.loss_pct, r.lost, r.expected, r.loss_before_repair_pct, r.repaired, r.reordered, r.duplicates);
  out += fmt::format("latency:    audio {}\n            video {}\n", latency(r.audio_latency),
                     latency(r.video_latency));
  out += fmt::format("jitter:     audio {}, video {} (RFC 3550, mean over streams)\n",
                     optional_ms(r.audio_jitter_ms), optional_ms(r.video_jitter_ms));
  for (const auto& l : r.layers) {
    out += fmt::format(
        "layer {:>5}: {} streams, {:.0f} kbit/s{}, {} packets (sampled receivers)\n",
        l.height ? fmt::format("{}p", l.height) : std::string("?"), l.streams, l.kbps,
        l.streams ? fmt::format(" ({:.0f} per stream)", l.kbps / static_cast<double>(l.streams)) : "",
        l.packets);
  }
  out += fmt::format(
      "feedback:   {} PLI + {} FIR received, {} keyframes received; NACK {} sent / {} received, {} not in "
      "history; transport-cc {} received / {} sent\n",
      r.plis_received, r.firs_received, r.keyframes_received, r.nacks_sent, r.nacks_received,
      r.rtx_unavailable, r.tcc_feedback_received, r.tcc_feedback_sent);
  if (r.send_failures || (r.udp_receive_buffer_errors && *r.udp_receive_buffer_errors))
    out += fmt::format(
        "sockets:    {} sends refused (generator), {} datagrams dropped by full receive buffers (machine)\n",
        r.send_failures, r.udp_receive_buffer_errors.value_or(0));
  if (r.audio_frames_late || r.video_frames_late)
    out += fmt::format(
        "late:       the generator skipped {} audio and {} video frames it woke up too late for\n",
        r.audio_frames_late, r.video_frames_late);
  if (r.unknown_ssrc || r.malformed)
    out += fmt::format("dropped:    {} unknown SSRC, {} malformed\n", r.unknown_ssrc, r.malformed);
  out += fmt::format("cpu:        generator {:.2f} s ({:.0f}% of a core)", r.cpu_s,
                     r.measured_s > 0 ? 100 * r.cpu_s / r.measured_s : 0.0);
  if (r.bridge_cpu_s) {
    out += fmt::format("; bridge {:.2f} s ({:.0f}% of a core)", *r.bridge_cpu_s,
                       r.measured_s > 0 ? 100 * *r.bridge_cpu_s / r.measured_s : 0.0);
    if (r.bridge_ns_per_received_packet)
      out += fmt::format(", {:.0f} ns per packet received", *r.bridge_ns_per_received_packet);
  }
  out += "\n";
  if (r.ok()) {
    out += "result:     OK\n";
  } else {
    for (const auto& f : r.failures) out += "FAILED:     " + f + "\n";
  }
  return out;
}

nlohmann::json to_json(const Report& r, const Options& o) {
  using nlohmann::json;
  auto latency = [](const LatencySummary& s) {
    json j{{"samples", s.samples}};
    j["p50_ms"] = s.p50_ms ? json(*s.p50_ms) : json(nullptr);
    j["p99_ms"] = s.p99_ms ? json(*s.p99_ms) : json(nullptr);
    j["max_ms"] = s.max_ms ? json(*s.max_ms) : json(nullptr);
    return j;
  };
  auto optional = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  json layers = json::array();
  for (const auto& l : r.layers)
    layers.push_back({{"height", l.height},
                      {"streams", l.streams},
                      {"packets", l.packets},
                      {"bytes", l.bytes},
                      {"kbps", l.kbps}});
  json endpoints = json::array();
  for (const auto& e : r.per_endpoint) {
    json from = json::object();
    for (const auto& [id, f] : e.from)
      from[id] = {{"audio_packets", f.audio_packets}, {"video_packets", f.video_packets}};
    endpoints.push_back({{"id", e.id},
                         {"conference", e.conference},
                         {"connected", e.connected},
                         {"channel_open", e.channel_open},
                         {"sampled", e.sampled},
                         {"rtp_sent", e.rtp_sent},
                         {"rtp_received", e.rtp_received},
                         {"expected", e.expected},
                         {"lost", e.lost},
                         {"from", std::move(from)},
                         {"error", e.error}});
  }
  return {
      {"scenario",
       {{"bridge", o.bridge_url},
        {"conferences", o.conferences},
        {"participants", o.participants},
        {"senders", o.video_senders()},
        {"speakers", o.speakers},
        {"last_n", o.last_n},
        {"max_height", o.max_height},
        {"on_stage", o.on_stage},
        {"dtx", o.dtx},
        {"sample_every", r.sample_every}}},
      {"ok", r.ok()},
      {"failures", r.failures},
      {"measured_s", r.measured_s},
      {"endpoints",
       {{"total", r.endpoints},
        {"connected", r.connected},
        {"channels_open", r.channels_open},
        {"sampled", r.sampled}}},
      {"sent",
       {{"rtp_packets", r.rtp_sent},
        {"rtp_bytes", r.rtp_bytes_sent},
        {"audio_packets", r.audio_sent},
        {"video_packets", r.video_sent},
        {"rtx_packets", r.rtx_sent},
        {"rtcp_packets", r.rtcp_sent}}},
      {"received",
       {{"rtp_packets", r.rtp_received},
        {"rtp_bytes", r.rtp_bytes_received},
        {"decrypted", r.decrypted},
        {"rtcp_packets", r.rtcp_received}}},
      {"loss",
       {{"expected", r.expected},
        {"lost", r.lost},
        {"percent", r.loss_pct},
        {"lost_before_repair", r.lost_before_repair},
        {"percent_before_repair", r.loss_before_repair_pct},
        {"repaired", r.repaired},
        {"reordered", r.reordered},
        {"duplicates", r.duplicates}}},
      {"latency", {{"audio", latency(r.audio_latency)}, {"video", latency(r.video_latency)}}},
      {"jitter_ms", {{"audio", optional(r.audio_jitter_ms)}, {"video", optional(r.video_jitter_ms)}}},
      {"layers", std::move(layers)},
      {"feedback",
       {{"plis_received", r.plis_received},
        {"firs_received", r.firs_received},
        {"keyframes_received", r.keyframes_received},
        {"nacks_sent", r.nacks_sent},
        {"nacks_received", r.nacks_received},
        {"rtx_unavailable", r.rtx_unavailable},
        {"tcc_feedback_received", r.tcc_feedback_received},
        {"tcc_feedback_sent", r.tcc_feedback_sent}}},
      {"dropped",
       {{"unknown_ssrc", r.unknown_ssrc},
        {"malformed", r.malformed},
        {"send_failures", r.send_failures},
        {"audio_frames_late", r.audio_frames_late},
        {"video_frames_late", r.video_frames_late},
        {"udp_receive_buffer_errors",
         r.udp_receive_buffer_errors ? json(*r.udp_receive_buffer_errors) : json(nullptr)}}},
      {"cpu",
       {{"generator_s", r.cpu_s},
        {"bridge_s", optional(r.bridge_cpu_s)},
        {"bridge_ns_per_received_packet", optional(r.bridge_ns_per_received_packet)}}},
      {"per_endpoint", std::move(endpoints)},
  };
}

}  // namespace jvb::loadgen
