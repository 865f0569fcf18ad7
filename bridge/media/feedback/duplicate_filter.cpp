// Duplicate termination (JVB's DuplicateTermination node).
#include "bridge/media/feedback/duplicate_filter.hpp"

namespace jvb::media {

namespace {

std::size_t bit_index(std::int64_t seq, std::size_t bits) {
  return static_cast<std::size_t>(seq) & (bits - 1);
}

}  // namespace

bool DuplicateFilter::test(std::int64_t seq) const {
  const std::size_t i = bit_index(seq, kBits);
  return (bits_[i / 64] >> (i % 64)) & 1;
}

void DuplicateFilter::set(std::int64_t seq) {
  const std::size_t i = bit_index(seq, kBits);
  bits_[i / 64] |= std::uint64_t{1} << (i % 64);
}

void DuplicateFilter::clear(std::int64_t seq) {
  const std::size_t i = bit_index(seq, kBits);
  bits_[i / 64] &= ~(std::uint64_t{1} << (i % 64));
}

void DuplicateFilter::restart(std::int64_t seq) {
  bits_.fill(0);
  highest_ = seq;
  set(seq);
}

bool DuplicateFilter::accept(std::uint16_t seq) {
  const std::int64_t ext = unwrapper_.peek(seq);
  if (!highest_) {
    unwrapper_.unwrap(seq);
    restart(ext);
    return true;
  }
  if (ext > *highest_) {
    unwrapper_.unwrap(seq);
    too_old_run_ = 0;
    if (ext - *highest_ >= static_cast<std::int64_t>(kBits)) {
      restart(ext);
      return true;
    }
    // The slots between the old and the new highest now stand for newer seqs.
    for (std::int64_t s = *highest_ + 1; s < ext; ++s) clear(s);
    highest_ = ext;
    set(ext);
    return true;
  }
  if (*highest_ - ext >= kHistory) {
    ++too_old_;
    if (++too_old_run_ >= kRestartAfter) {
      // The sender's numbering went back for good: follow it.
      too_old_run_ = 0;
      unwrapper_.reset();
      const std::int64_t fresh = unwrapper_.unwrap(seq);
      restart(fresh);
      return true;
    }
    return false;
  }
  too_old_run_ = 0;
  if (test(ext)) {
    ++duplicates_;
    return false;
  }
  set(ext);
  return true;
}

}  // namespace jvb::media
