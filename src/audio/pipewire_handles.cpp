#include "audio/pipewire_handles.hpp"

#include <mutex>

#include <spa/param/audio/raw.h>

namespace periscope::audio::pw {

void ensure_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { pw_init(nullptr, nullptr); });
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
