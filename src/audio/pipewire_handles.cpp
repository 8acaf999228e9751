#include "audio/pipewire_handles.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <spa/param/audio/raw.h>

namespace periscope::audio::pw {

void ensure_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { pw_init(nullptr, nullptr); });
}

Connection::~Connection() {
  stop();
  core_.reset();
  context_.reset();
  loop_.reset();
}

Status Connection::start(const char* thread_name) {
  loop_.reset(pw_thread_loop_new(thread_name, nullptr));
  if (!loop_) return fail_errno(errno, "pw_thread_loop_new");
  context_.reset(pw_context_new(pw_thread_loop_get_loop(loop_.get()), nullptr, 0));
  if (!context_) return fail_errno(errno, "pw_context_new");
  if (const int res = pw_thread_loop_start(loop_.get()); res < 0) {
    return fail_errno(-res, "pw_thread_loop_start");
  }
  running_ = true;
  return {};
}

Status Connection::connect(std::string_view no_daemon_hint) {
  core_.reset(pw_context_connect(context_.get(), nullptr, 0));
  if (!core_) {
    const int error = errno;
    return fail(ErrorCode::kNotFound, "cannot connect to the PipeWire daemon ({}): {}",
                std::strerror(error), no_daemon_hint);
  }
  return {};
}

void Connection::stop() {
  if (running_) pw_thread_loop_stop(loop_.get());
  running_ = false;
}

std::array<std::uint32_t, 8> positions_of_mask(std::uint16_t channel_mask) {
  // Bit i of a Windows SPEAKER_* mask, as an SPA position (bits 0..15: all a u16 mask holds).
  static constexpr std::array<std::uint32_t, 16> kPositionOfBit = {
      SPA_AUDIO_CHANNEL_FL,  SPA_AUDIO_CHANNEL_FR,  SPA_AUDIO_CHANNEL_FC,  SPA_AUDIO_CHANNEL_LFE,
      SPA_AUDIO_CHANNEL_RL,  SPA_AUDIO_CHANNEL_RR,  SPA_AUDIO_CHANNEL_FLC, SPA_AUDIO_CHANNEL_FRC,
      SPA_AUDIO_CHANNEL_RC,  SPA_AUDIO_CHANNEL_SL,  SPA_AUDIO_CHANNEL_SR,  SPA_AUDIO_CHANNEL_TC,
      SPA_AUDIO_CHANNEL_TFL, SPA_AUDIO_CHANNEL_TFC, SPA_AUDIO_CHANNEL_TFR, SPA_AUDIO_CHANNEL_TRL};
  std::array<std::uint32_t, 8> positions{};
  std::size_t n = 0;
  for (std::size_t bit = 0; bit < kPositionOfBit.size() && n < positions.size(); ++bit) {
    if ((channel_mask >> bit) & 1U) positions[n++] = kPositionOfBit[bit];
  }
  // A mask with fewer bits than channels (valid for Scream): the rest are auxiliary.
  for (std::uint32_t aux = 0; n < positions.size(); ++n, ++aux) {
    positions[n] = SPA_AUDIO_CHANNEL_AUX0 + aux;
  }
  return positions;
}

// The macros expand to `(struct spa_interface*)core`: a C cast of our pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
void add_core_listener(pw_core* core, spa_hook* listener, const pw_core_events* events,
                       void* data) {
  pw_core_add_listener(core, listener, events, data);
}

int core_sync(pw_core* core) {
  return pw_core_sync(core, PW_ID_CORE, 0);
}
#pragma GCC diagnostic pop

}  // namespace periscope::audio::pw
