// libFuzzer target for bridge/rtcp: the compound walk, then every packet-type parser on every
// packet (each must accept or refuse, never crash), and for each accepted packet a rebuild
// through its builder that must parse back to the same content.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "bridge/rtcp/bye.hpp"
#include "bridge/rtcp/fir.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/receiver_report.hpp"
#include "bridge/rtcp/remb.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sdes.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtcp/transport_cc.hpp"

namespace {

using namespace jvb::rtcp;

void check(bool ok) {
  if (!ok) std::abort();
}

RtcpPacketView reparse(std::span<const std::uint8_t> out, std::size_t n) {
  auto v = parse_rtcp_packet(out.first(n));
  check(v.has_value());
  check(v->packet.size() == n);
  return *v;
}

void report_blocks(const ReportBlockList& list, std::vector<ReportBlock>& out) {
  for (std::size_t i = 0; i < list.size(); ++i) out.push_back(list[i]);
}

void round_trip_rr(const RtcpPacketView& v) {
  auto rr = ReceiverReport::parse(v);
  if (!rr) return;
  std::vector<ReportBlock> blocks;
  report_blocks(rr->report_blocks(), blocks);
  std::vector<std::uint8_t> out(receiver_report_size(blocks.size()));
  auto n = write_receiver_report(out, rr->sender_ssrc(), blocks);
  check(n.has_value() && *n == out.size());
  auto again = ReceiverReport::parse(reparse(out, *n));
  check(again.has_value() && again->sender_ssrc() == rr->sender_ssrc());
  std::vector<ReportBlock> blocks2;
  report_blocks(again->report_blocks(), blocks2);
  check(blocks == blocks2);
}

void round_trip_sr(const RtcpPacketView& v) {
  auto sr = SenderReport::parse(v);
  if (!sr) return;
  std::vector<ReportBlock> blocks;
  report_blocks(sr->report_blocks(), blocks);
  std::vector<std::uint8_t> out(sender_report_size(blocks.size()));
  auto n = write_sender_report(out, sr->sender_ssrc(), sr->sender_info(), blocks);
  check(n.has_value());
  auto again = SenderReport::parse(reparse(out, *n));
  check(again.has_value() && again->sender_info() == sr->sender_info());
  std::vector<ReportBlock> blocks2;
  report_blocks(again->report_blocks(), blocks2);
  check(blocks == blocks2);
}

void round_trip_sdes(const RtcpPacketView& v) {
  auto sdes = Sdes::parse(v);
  if (!sdes) return;
  auto it = sdes->chunks();
  std::size_t count = 0;
  while (auto c = it.next()) {
    ++count;
    check(c->cname.size() <= 255);
    if (c->cname.empty()) continue;
    std::vector<std::uint8_t> out(c->cname.size() + 16);
    auto n = write_sdes_cname(out, c->ssrc, c->cname);
    check(n.has_value());
    auto again = Sdes::parse(reparse(out, *n));
    check(again.has_value());
    auto c2 = again->chunks().next();
    check(c2.has_value() && c2->ssrc == c->ssrc && c2->cname == c->cname);
  }
  check(count == sdes->chunk_count());
}

void round_trip_bye(const RtcpPacketView& v) {
  auto bye = Bye::parse(v);
  if (!bye) return;
  std::vector<std::uint32_t> ssrcs;
  for (std::size_t i = 0; i < bye->ssrc_count(); ++i) ssrcs.push_back(bye->ssrc(i));
  std::vector<std::uint8_t> out(4 + 4 * ssrcs.size() + 260);
  auto n = write_bye(out, ssrcs, bye->reason());
  check(n.has_value());
  auto again = Bye::parse(reparse(out, *n));
  check(again.has_value() && again->ssrc_count() == ssrcs.size() && again->reason() == bye->reason());
  for (std::size_t i = 0; i < ssrcs.size(); ++i) check(again->ssrc(i) == ssrcs[i]);
}

void round_trip_pli(const RtcpPacketView& v) {
  auto pli = Pli::parse(v);
  if (!pli) return;
  std::uint8_t out[kPliSize];
  auto n = write_pli(out, *pli);
  check(n.has_value());
  check(Pli::parse(reparse(out, *n)).value() == *pli);
}

void round_trip_fir(const RtcpPacketView& v) {
  auto fir = Fir::parse(v);
  if (!fir) return;
  std::vector<FirEntry> entries;
  for (std::size_t i = 0; i < fir->entry_count(); ++i) entries.push_back(fir->entry(i));
  std::vector<std::uint8_t> out(12 + 8 * entries.size());
  auto n = write_fir(out, fir->sender_ssrc(), entries);
  check(n.has_value());
  auto again = Fir::parse(reparse(out, *n));
  check(again.has_value() && again->entry_count() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) check(again->entry(i) == entries[i]);
}

void round_trip_nack(const RtcpPacketView& v) {
  auto nack = Nack::parse(v);
  if (!nack) return;
  const auto lost = nack->lost_sequence_numbers();
  check(lost.size() >= nack->item_count());
  std::vector<std::uint8_t> out(12 + 4 * nack_item_count(lost));
  auto n = write_nack(out, nack->sender_ssrc(), nack->media_ssrc(), lost);
  check(n.has_value());
  auto again = Nack::parse(reparse(out, *n));
  check(again.has_value());
  const auto lost2 = again->lost_sequence_numbers();
  check(std::set<std::uint16_t>(lost.begin(), lost.end()) ==
        std::set<std::uint16_t>(lost2.begin(), lost2.end()));
}

void round_trip_remb(const RtcpPacketView& v) {
  auto remb = Remb::parse(v);
  if (!remb) return;
  std::vector<std::uint32_t> ssrcs;
  for (std::size_t i = 0; i < remb->ssrc_count(); ++i) ssrcs.push_back(remb->ssrc(i));
  std::vector<std::uint8_t> out(20 + 4 * ssrcs.size());
  auto n = write_remb(out, remb->sender_ssrc(), remb->bitrate_bps(), ssrcs);
  check(n.has_value());
  auto again = Remb::parse(reparse(out, *n));
  check(again.has_value() && again->ssrc_count() == ssrcs.size());
  const auto bps = remb->bitrate_bps();
  check(again->bitrate_bps() <= bps && again->bitrate_bps() >= bps - bps / 131072);
}

void round_trip_tcc(const RtcpPacketView& v) {
  auto tcc = TransportFeedback::parse(v);
  if (!tcc) return;
  const auto all = tcc->all_packets();
  check(all.size() == tcc->status_count());
  std::size_t received = 0;
  std::vector<TccPacket> in;
  for (const auto& s : all) {
    TccPacket p{s.sequence_number, std::nullopt};
    if (s.received()) {
      ++received;
      p.arrival = jvb::Timestamp(s.arrival);
    }
    in.push_back(p);
  }
  check(received == tcc->received_count());
  std::vector<std::uint8_t> out(kTccHeaderSize + 2 * (all.size() / 7 + 2) + 2 * received + 4);
  auto n = write_transport_feedback(out, {tcc->sender_ssrc(), tcc->media_ssrc(), tcc->feedback_count()}, in);
  check(n.has_value());
  check(n->packets == in.size());
  auto again = TransportFeedback::parse(reparse(out, n->bytes));
  check(again.has_value());
  check(again->base_sequence() == tcc->base_sequence() && again->status_count() == tcc->status_count());
  const auto all2 = again->all_packets();
  check(all2.size() == all.size());
  // The builder may pick another reference time; arrivals agree modulo the 24-bit wrap.
  constexpr std::int64_t kWrapUs = (std::int64_t{1} << 24) * 64000;
  for (std::size_t i = 0; i < all.size(); ++i) {
    check(all2[i].sequence_number == all[i].sequence_number);
    check(all2[i].received() == all[i].received());
    if (all[i].received()) check((all2[i].arrival - all[i].arrival).count() % kWrapUs == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  auto valid = validate_compound(input);
  if (!valid) (void)rtcp_error_name(valid.error());
  RtcpCompoundIterator it(input);
  std::size_t count = 0;
  std::size_t total = 0;
  while (auto v = it.next()) {
    ++count;
    total += v->packet.size();
    check(v->packet.size() >= kHeaderSize && v->packet.size() % 4 == 0);
    check(v->body.data() == v->packet.data() + kHeaderSize &&
          v->body.size() + kHeaderSize <= v->packet.size());
    round_trip_rr(*v);
    round_trip_sr(*v);
    round_trip_sdes(*v);
    round_trip_bye(*v);
    round_trip_pli(*v);
    round_trip_fir(*v);
    round_trip_nack(*v);
    round_trip_remb(*v);
    round_trip_tcc(*v);
  }
  check(total <= size);
  check(valid.has_value() == (!it.error().has_value() && size > 0));
  if (valid) check(*valid == count && total == size);
  return 0;
}
