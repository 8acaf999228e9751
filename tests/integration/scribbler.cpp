// periscope-test-scribbler: plays a hostile guest. While a producer and a consumer use a B7
// region, it writes adversarial values into it for --seconds, then stops (so the test can
// check that the consumer recovers). Every write targets a field the consumer reads:
// huge counts, offsets past the end, a queue lock held, fields flipping between good and bad
// values while they are being read, and random bytes over the header.
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "common/clock.hpp"
#include "common/mapped_region.hpp"
#include "relay/layout.hpp"
#include "relay/shared_region.hpp"

using namespace periscope;

namespace {

template <typename T>
void poke(const SharedRegion& r, std::uint64_t offset, T value) {
  if (auto a = r.atomic<T>(offset)) a->store(value, std::memory_order_relaxed);
}

std::uint32_t adversarial_u32(std::mt19937_64& rng, std::uint64_t region_size) {
  switch (rng() % 8) {
    case 0:
      return 0xFFFFFFFFU;
    case 1:
      return 0x80000000U;
    case 2:
      return static_cast<std::uint32_t>(region_size);
    case 3:
      return static_cast<std::uint32_t>(region_size - 1);
    case 4:
      return 0;
    case 5:
      return static_cast<std::uint32_t>(rng() % 4096);
    case 6:
      return static_cast<std::uint32_t>(region_size - 4 - rng() % 64);
    default:
      return static_cast<std::uint32_t>(rng());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SHM SECONDS [SEED]\n", argv[0]);
    return 2;
  }
  auto region = MappedRegion::open(argv[1], {.writable = true, .create_size_bytes = 0});
  if (!region) {
    std::fprintf(stderr, "%s\n", region.error().message.c_str());
    return 1;
  }
  const SharedRegion r(region->bytes());
  const double seconds = std::stod(argv[2]);
  std::mt19937_64 rng(argc > 3 ? std::stoull(argv[3]) : 1);
  const TimePoint end = Clock::now() + std::chrono::duration_cast<Nanoseconds>(
                                           std::chrono::duration<double>(seconds));
  const auto q_off = [](std::size_t q, std::size_t field) {
    return offsetof(b7::LgmpHeader, queues) + q * sizeof(b7::LgmpQueue) + field;
  };
  std::uint64_t writes = 0;
  while (Clock::now() < end) {
    const std::size_t q = rng() % 2;
    // The message rings and the frame/cursor payloads they point to, as the producer wrote them.
    const std::uint32_t ring =
        *r.read<std::uint32_t>(q_off(q, offsetof(b7::LgmpQueue, messages_offset)));
    const std::uint32_t slots =
        *r.read<std::uint32_t>(q_off(q, offsetof(b7::LgmpQueue, num_messages)));
    const std::uint32_t slot = slots ? static_cast<std::uint32_t>(rng() % std::min(slots, 64U)) : 0;
    const std::uint64_t record = std::uint64_t{ring} + slot * sizeof(b7::LgmpMessage);
    const std::uint32_t payload_at =
        r.read<std::uint32_t>(record + offsetof(b7::LgmpMessage, offset)).value_or(0);
    const std::uint32_t value = adversarial_u32(rng, r.size());
    // First half: only what the producer never reads back (message records, frame and cursor
    // payloads), so the session stays up and the consumer itself must refuse the lies.
    // Second half: everything, including the header, which makes the producer start over.
    constexpr int kPayloadAttacks[] = {0, 2, 3, 4, 8};
    const bool payload_only = Clock::now() < end - std::chrono::duration_cast<Nanoseconds>(
                                                       std::chrono::duration<double>(seconds / 2));
    const int attack = payload_only ? kPayloadAttacks[rng() % 5] : static_cast<int>(rng() % 12);
    // A record we corrupted may point into the header; in the first half leave that alone.
    constexpr std::uint32_t kPastHeaderAndRings = 64 * 1024;
    // (0 also stands for "none").
    const std::uint32_t floor = payload_only ? kPastHeaderAndRings : 1;
    const std::optional<std::uint32_t> payload =
        payload_at >= floor && payload_at < r.size() ? std::optional(payload_at) : std::nullopt;
    switch (attack) {
      case 0:  // message offset/size past the end
        poke<std::uint32_t>(r, record + offsetof(b7::LgmpMessage, offset), value);
        poke<std::uint32_t>(r, record + offsetof(b7::LgmpMessage, size),
                            adversarial_u32(rng, r.size()));
        break;
      case 1:  // ring geometry
        poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, num_messages)), value);
        poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, position)),
                            adversarial_u32(rng, r.size()));
        break;
      case 2:  // the frame header, in a burst so the consumer reads it mid-change: huge damage
               // count, sizes, pitch, buffer offset, type
        if (payload) {
          for (int i = 0; i < 2000; ++i) {
            const std::uint64_t field = (rng() % 14) * 4;  // the first 14 u32 of KVMFRFrame
            poke<std::uint32_t>(r, *payload + field, adversarial_u32(rng, r.size()));
          }
        }
        break;
      case 3:  // damage rects flipping while being copied
        if (payload) {
          for (int i = 0; i < 2000; ++i) {
            const std::uint64_t rect = offsetof(b7::KvmfrFrame, damage_rects) + (rng() % 64) * 16;
            poke<std::uint32_t>(r, *payload + rect + (rng() % 4) * 4,
                                adversarial_u32(rng, r.size()));
          }
        }
        break;
      case 4:  // the write pointer
        if (payload) {
          poke<std::uint32_t>(r, *payload + b7::kFrameBufferOffset, value);
        }
        break;
      case 5: {  // hold the queue lock for 300 ms
        const TimePoint until = Clock::now() + Milliseconds(300);
        while (Clock::now() < until && Clock::now() < end) {
          poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, lock)), 1U);
          precise_sleep(Microseconds(200));
        }
        break;
      }
      case 6:  // subscriber bits
        poke<std::uint64_t>(r, q_off(q, offsetof(b7::LgmpQueue, subs)), rng());
        break;
      case 7:  // udata size and KVMFR strings
        poke<std::uint32_t>(r, offsetof(b7::LgmpHeader, udata_size), value);
        break;
      case 8:  // cursor shape sizes
        if (payload) {
          poke<std::uint32_t>(r, *payload + offsetof(b7::KvmfrCursor, width), value);
          poke<std::uint32_t>(r, *payload + offsetof(b7::KvmfrCursor, height),
                              adversarial_u32(rng, r.size()));
          poke<std::uint32_t>(r, *payload + offsetof(b7::KvmfrCursor, pitch),
                              adversarial_u32(rng, r.size()));
        }
        break;
      case 9:  // random bytes over the header
        poke<std::uint32_t>(r, (rng() % (sizeof(b7::LgmpHeader) / 4)) * 4, value);
        break;
      case 10:  // count / start of the queue
        poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, count)), value);
        poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, start)),
                            adversarial_u32(rng, r.size()));
        break;
      default:  // mailbox state
        poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, c_msg_avail)), value);
        poke<std::uint32_t>(r, q_off(q, offsetof(b7::LgmpQueue, c_msg_wpos)),
                            adversarial_u32(rng, r.size()));
        break;
    }
    ++writes;
    if (writes % 64 == 0) precise_sleep(Microseconds(50));
  }
  std::printf("%llu adversarial writes\n", static_cast<unsigned long long>(writes));
  return 0;
}
