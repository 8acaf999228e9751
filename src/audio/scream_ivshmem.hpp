#pragma once
// Reading and writing the Scream IVSHMEM ring (spec section 2).
//
// The reader validates a private copy of the header on every poll and again after copying
// each chunk (the guest may stop or re-initialise the stream while we copy), returns only
// chunks that lie inside the region, copies each one out into one reusable buffer before
// handing it on, and reads at most max_chunks_per_poll chunks per poll.
//
// The writer does what the Windows driver does (tests, `periscope audio-send`): header zeroed,
// fields written, magic last; each chunk filled at write index + 1 (mod count), then the index
// stored, so the first chunk lands at index 1; stop() zeroes the header.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "audio/scream_format.hpp"
#include "audio/scream_ivshmem_layout.hpp"
#include "common/result.hpp"
#include "relay/shared_region.hpp"

namespace periscope::audio {

// Where the reader delivers chunks (a narrow interface so tests can watch and interfere).
class ScreamChunkSink {
 public:
  virtual ~ScreamChunkSink() = default;
  // `pcm` is a private copy, whole frames of `format`, valid until on_chunk returns.
  virtual void on_chunk(const StreamFormat& format, std::span<const std::byte> pcm) = 0;
};

struct IvshmemReaderOptions {
  // Bounds one poll's work; a reader further behind skips to the newest chunks.
  std::uint32_t max_chunks_per_poll{8};
};

enum class IvshmemState : std::uint8_t { kWaiting, kStreaming };

struct IvshmemPoll {
  IvshmemState state{IvshmemState::kWaiting};
  IvshmemFault fault{IvshmemFault::kNone};  // why not streaming; kNone while streaming
  std::uint32_t chunks{0};                  // delivered by this poll
  bool new_stream{false};                   // a stream started (or restarted) in this poll
};

struct IvshmemReaderStats {
  std::uint64_t chunks{0};
  std::uint64_t chunks_skipped{0};    // we fell more than max_chunks_per_poll behind
  std::uint64_t chunks_outside{0};    // the chunk ran past the end of the region
  std::uint64_t chunks_discarded{0};  // the header changed while we copied the chunk
  std::uint64_t streams{0};           // starts and restarts
  std::uint64_t stops{0};             // the magic went away
  std::array<std::uint64_t, static_cast<std::size_t>(IvshmemFault::kCount)> faults{};
};

class ScreamIvshmemReader {
 public:
  explicit ScreamIvshmemReader(SharedRegion region, IvshmemReaderOptions options = {});

  IvshmemPoll poll(ScreamChunkSink& sink);

  [[nodiscard]] IvshmemState state() const {
    return layout_ ? IvshmemState::kStreaming : IvshmemState::kWaiting;
  }
  [[nodiscard]] const std::optional<IvshmemLayout>& layout() const { return layout_; }
  [[nodiscard]] const IvshmemReaderStats& stats() const { return stats_; }

 private:
  // The header as it is now, or nullopt when the region cannot hold one.
  [[nodiscard]] std::optional<IvshmemHeader> read_header() const;
  IvshmemPoll lose_stream(IvshmemFault fault);
  void start_stream(const IvshmemLayout& layout, std::uint16_t write_index, IvshmemPoll& result);

  SharedRegion region_;
  IvshmemReaderOptions options_;
  std::optional<IvshmemLayout> layout_;
  std::uint32_t last_index_{0};
  // After a clean stop (magic zeroed) or a re-initialisation the driver starts over at index 0
  // and writes its first chunk at 1; on the first attach the chunks present are stale.
  bool next_from_zero_{false};
  std::vector<std::byte> chunk_;  // grows only when a stream's chunks are larger
  IvshmemReaderStats stats_;
};

class ScreamIvshmemWriter {
 public:
  static Result<ScreamIvshmemWriter> start(SharedRegion region, const StreamFormat& format);

  // Appends PCM; every chunk that completes is published. The rest waits for the next call.
  void write(std::span<const std::byte> pcm);
  // Zeroes the header, as the driver does when the stream closes.
  void stop();

  [[nodiscard]] const IvshmemLayout& layout() const { return layout_; }
  [[nodiscard]] std::uint16_t write_index() const { return index_; }

 private:
  ScreamIvshmemWriter(SharedRegion region, const IvshmemLayout& layout)
      : region_(region), layout_(layout) {}

  SharedRegion region_;
  IvshmemLayout layout_;
  std::uint16_t index_{0};
  std::uint32_t filled_bytes_{0};  // of the chunk at index_ + 1
};

}  // namespace periscope::audio
