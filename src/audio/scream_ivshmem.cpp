#include "audio/scream_ivshmem.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

namespace periscope::audio {

namespace {

bool aligned_for_header(const SharedRegion& region) {
  return reinterpret_cast<std::uintptr_t>(region.base()) % alignof(std::uint32_t) == 0;
}

std::size_t fault_slot(IvshmemFault fault) {
  return static_cast<std::size_t>(fault);
}

}  // namespace

ScreamIvshmemReader::ScreamIvshmemReader(SharedRegion region, IvshmemReaderOptions options)
    : region_(region), options_(options) {
  options_.max_chunks_per_poll = std::max<std::uint32_t>(1, options_.max_chunks_per_poll);
}

std::optional<IvshmemHeader> ScreamIvshmemReader::read_header() const {
  std::array<std::byte, kIvshmemHeaderBytes> bytes{};
  if (!aligned_for_header(region_) || !region_.copy_out(0, bytes)) return std::nullopt;
  IvshmemHeader header = decode_ivshmem_header(bytes);
  // The magic and the index are what the driver publishes last: read them with acquire so the
  // chunk it announced is complete in our view before we copy it.
  header.magic =
      region_.atomic<std::uint32_t>(ivshmem_field::kMagic)->load(std::memory_order_acquire);
  header.write_index =
      region_.atomic<std::uint16_t>(ivshmem_field::kWriteIndex)->load(std::memory_order_acquire);
  return header;
}

IvshmemPoll ScreamIvshmemReader::lose_stream(IvshmemFault fault) {
  ++stats_.faults[fault_slot(fault)];
  if (fault == IvshmemFault::kNoStream) {
    if (layout_) ++stats_.stops;
    // The driver zeroes the header when a stream closes and starts the next one at index 0.
    next_from_zero_ = true;
  } else {
    // Garbage: when a valid header comes back we cannot know which chunks are new.
    next_from_zero_ = false;
  }
  layout_.reset();
  return IvshmemPoll{IvshmemState::kWaiting, fault, 0, false};
}

void ScreamIvshmemReader::start_stream(const IvshmemLayout& layout, std::uint16_t write_index,
                                       IvshmemPoll& result) {
  // A stream we saw stop, or a new geometry while streaming (the driver re-initialised without
  // us seeing the zeroed header), starts over at index 0. On a first attach the chunk at the
  // write index has already been played by nobody we know of: skip what is there.
  const bool from_zero = next_from_zero_ || layout_.has_value();
  last_index_ = from_zero ? 0 : write_index;
  layout_ = layout;
  next_from_zero_ = false;
  if (chunk_.size() < layout.chunk_bytes) chunk_.resize(layout.chunk_bytes);
  ++stats_.streams;
  result.new_stream = true;
}

IvshmemPoll ScreamIvshmemReader::poll(ScreamChunkSink& sink) {
  const auto header = read_header();
  if (!header) return lose_stream(IvshmemFault::kBadRegion);
  if (header->magic != kIvshmemMagic) return lose_stream(IvshmemFault::kNoStream);
  const auto layout = validate_ivshmem_layout(*header, region_.size());
  if (!layout) return lose_stream(layout.error());
  if (header->write_index >= layout->chunk_count) return lose_stream(IvshmemFault::kBadIndex);

  IvshmemPoll result{IvshmemState::kStreaming, IvshmemFault::kNone, 0, false};
  if (!layout_ || *layout_ != *layout) start_stream(*layout, header->write_index, result);

  const std::uint32_t count = layout->chunk_count;
  std::uint32_t pending = (header->write_index + count - last_index_) % count;
  if (pending > options_.max_chunks_per_poll) {
    const std::uint32_t skip = pending - options_.max_chunks_per_poll;
    last_index_ = (last_index_ + skip) % count;
    stats_.chunks_skipped += skip;
    pending = options_.max_chunks_per_poll;
  }
  for (; pending > 0; --pending) {
    const std::uint32_t index = (last_index_ + 1) % count;
    const std::uint64_t offset = layout->chunk_offset(index);
    const auto source = region_.span(offset, layout->chunk_bytes);
    if (!source) {
      // The driver sizes the ring without the header, so its last chunk may not fit.
      ++stats_.chunks_outside;
      last_index_ = index;
      continue;
    }
    std::memcpy(chunk_.data(), source->data(), layout->chunk_bytes);
    // Re-check after the copy: if the guest stopped or re-initialised the stream meanwhile,
    // the copy may hold anything. The next poll sorts out what happened.
    const auto after = read_header();
    if (!after || after->magic != kIvshmemMagic) {
      ++stats_.chunks_discarded;
      IvshmemPoll lost = lose_stream(after ? IvshmemFault::kNoStream : IvshmemFault::kBadRegion);
      lost.chunks = result.chunks;
      lost.new_stream = result.new_stream;
      return lost;
    }
    const auto still = validate_ivshmem_layout(*after, region_.size());
    if (!still || *still != *layout) {
      ++stats_.chunks_discarded;
      next_from_zero_ = true;
      layout_.reset();
      result.state = IvshmemState::kWaiting;
      return result;
    }
    last_index_ = index;
    ++stats_.chunks;
    ++result.chunks;
    sink.on_chunk(layout->format, std::span<const std::byte>(chunk_.data(), layout->chunk_bytes));
  }
  return result;
}

Result<ScreamIvshmemWriter> ScreamIvshmemWriter::start(SharedRegion region,
                                                       const StreamFormat& format) {
  const std::uint32_t chunk_bytes = ivshmem_chunk_bytes(format);
  if (chunk_bytes == 0) return fail(ErrorCode::kInvalidArgument, "scream ivshmem: invalid format");
  if (!aligned_for_header(region) || region.size() < kIvshmemHeaderBytes + chunk_bytes) {
    return fail(ErrorCode::kTooSmall, "scream ivshmem: region of {} bytes holds no chunk of {}",
                region.size(), chunk_bytes);
  }
  // Like the driver: the count ignores the header, so the last chunk may run past the end.
  const std::uint64_t count = region.size() / chunk_bytes;
  if (count > std::numeric_limits<std::uint16_t>::max()) {
    return fail(ErrorCode::kUnsupported, "scream ivshmem: {} chunks do not fit the 16-bit count",
                count);
  }
  IvshmemHeader header;
  header.chunk0_offset = static_cast<std::uint8_t>(kIvshmemHeaderBytes);
  header.chunk_count = static_cast<std::uint16_t>(count);
  header.chunk_bytes = chunk_bytes;
  header.rate_byte = *encode_rate_byte(format.rate_hz);
  header.bits = format.bits;
  header.channels = format.channels;
  header.channel_mask = format.channel_mask;
  const auto bytes = encode_ivshmem_header(header);  // magic 0 and index 0 for now
  region.atomic<std::uint32_t>(ivshmem_field::kMagic)->store(0, std::memory_order_relaxed);
  std::memcpy(region.base(), bytes.data(), bytes.size());
  region.atomic<std::uint32_t>(ivshmem_field::kMagic)
      ->store(kIvshmemMagic, std::memory_order_release);
  const IvshmemLayout layout{format, header.chunk0_offset, header.chunk_count, chunk_bytes};
  return ScreamIvshmemWriter(region, layout);
}

void ScreamIvshmemWriter::write(std::span<const std::byte> pcm) {
  while (!pcm.empty()) {
    const auto next = static_cast<std::uint16_t>((index_ + 1U) % layout_.chunk_count);
    const std::uint32_t take = static_cast<std::uint32_t>(
        std::min<std::size_t>(layout_.chunk_bytes - filled_bytes_, pcm.size()));
    // Clip to the region: the driver would write past the end of the last chunk.
    const std::uint64_t at = layout_.chunk_offset(next) + filled_bytes_;
    if (at < region_.size()) {
      const auto fits =
          static_cast<std::size_t>(std::min<std::uint64_t>(take, region_.size() - at));
      std::memcpy(region_.base() + at, pcm.data(), fits);
    }
    filled_bytes_ += take;
    pcm = pcm.subspan(take);
    if (filled_bytes_ == layout_.chunk_bytes) {
      index_ = next;
      filled_bytes_ = 0;
      region_.atomic<std::uint16_t>(ivshmem_field::kWriteIndex)
          ->store(index_, std::memory_order_release);
    }
  }
}

void ScreamIvshmemWriter::stop() {
  region_.atomic<std::uint32_t>(ivshmem_field::kMagic)->store(0, std::memory_order_release);
  std::memset(region_.base(), 0, kIvshmemHeaderBytes);
}

}  // namespace periscope::audio
