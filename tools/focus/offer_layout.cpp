// See offer_layout.hpp.
#include "tools/focus/offer_layout.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace jvb::focus {

OfferLayout::OfferLayout() {
  lines_.push_back({std::string(kLocalAudioMid), signaling::MediaType::kAudio, true, std::nullopt});
  lines_.push_back({std::string(kLocalVideoMid), signaling::MediaType::kVideo, true, std::nullopt});
}

void OfferLayout::update(const std::vector<RemoteStream>& streams) {
  auto same_stream = [](const RemoteStream& a, const RemoteStream& b) {
    return a.endpoint == b.endpoint && a.type == b.type;
  };
  // Lines free before this update; lines vacated now are not reused until the next one.
  std::vector<bool> was_free(lines_.size());
  for (std::size_t i = 0; i < lines_.size(); ++i)
    was_free[i] = !lines_[i].local && !lines_[i].data && !lines_[i].stream;

  std::vector<bool> placed(streams.size(), false);
  for (auto& line : lines_) {
    if (line.local || line.data || !line.stream) continue;
    auto it = std::find_if(streams.begin(), streams.end(),
                           [&](const RemoteStream& s) { return same_stream(s, *line.stream); });
    if (it == streams.end()) {
      line.stream.reset();
    } else {
      line.stream = *it;  // the SSRCs may have changed
      placed[static_cast<std::size_t>(it - streams.begin())] = true;
    }
  }
  for (std::size_t s = 0; s < streams.size(); ++s) {
    if (placed[s]) continue;
    std::size_t i = 0;
    while (i < lines_.size() && !(was_free[i] && lines_[i].type == streams[s].type)) ++i;
    if (i < lines_.size()) {
      was_free[i] = false;
      lines_[i].stream = streams[s];
    } else {
      lines_.push_back({std::to_string(next_mid_++), streams[s].type, false, streams[s]});
      was_free.push_back(false);
    }
  }
}

void OfferLayout::add_data_line() {
  if (has_data_line()) return;
  OfferLine line;
  line.mid = std::string(kDataMid);
  line.data = true;
  lines_.push_back(std::move(line));
}

bool OfferLayout::has_data_line() const {
  return std::any_of(lines_.begin(), lines_.end(), [](const OfferLine& l) { return l.data; });
}

}  // namespace jvb::focus
