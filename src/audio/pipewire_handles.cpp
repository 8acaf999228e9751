#include "audio/pipewire_handles.hpp"

#include <mutex>

namespace periscope::audio::pw {

void ensure_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { pw_init(nullptr, nullptr); });
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
