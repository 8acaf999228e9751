#include "bench/relay_bench.hpp"

#include "bench/prerendered_source.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "capture/capture_loop.hpp"
#include "capture/test_pattern.hpp"
#include "common/latency_histogram.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "common/scope_exit.hpp"
#include "relay/frame_format.hpp"
#include "relay/post_clock.hpp"
#include "relay/producer.hpp"
#include "viewer/receiver.hpp"

namespace periscope::bench {

namespace {

constexpr double kFramePeriod240HzMs = 1000.0 / 240.0;

// The producer child: SIGUSR1 stops sending frames (the heartbeat goes on), SIGTERM ends it.
std::atomic<bool> g_child_pause{false};
std::atomic<bool> g_child_exit{false};

[[noreturn]] void run_producer_child(const std::string& shm, const std::string& clock_path,
                                     const RelayBenchOptions& options) {
  ::signal(SIGUSR1, [](int) { g_child_pause.store(true); });
  ::signal(SIGTERM, [](int) { g_child_exit.store(true); });
  auto region = MappedRegion::open(shm, {.writable = true, .create_size_bytes = 0});
  auto clock = PostClock::create(clock_path);
  if (!region || !clock) ::_exit(3);
  ProducerOptions producer_options;
  producer_options.info.hostver = "periscope-bench";
  producer_options.on_frame_posted = [&](std::uint32_t serial, TimePoint at) {
    clock->record(serial, at);
  };
  auto producer = Producer::create(SharedRegion(region->bytes()), producer_options);
  if (!producer) ::_exit(4);
  PrerenderedSource source({options.width, options.height, 0.0, options.type});
  capture::CaptureLoopOptions loop;
  loop.full_damage = true;
  loop.slot_wait = std::chrono::seconds(2);  // never drop: measure the relay, not the drops
  loop.stop = &g_child_pause;
  if (!capture::run_capture_loop(source, **producer, loop)) ::_exit(5);
  while (!g_child_exit.load()) precise_sleep(Milliseconds(10));  // heartbeat thread runs on
  ::_exit(0);
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Records post -> in-memory latency while `measuring` is set.
class Meter final : public ConsumerEvents {
 public:
  explicit Meter(const PostClock& clock) : clock_(clock) {}
  void on_frame(const Frame& frame, const FrameTiming& timing) override {
    if (!measuring.load(std::memory_order_relaxed)) return;
    std::scoped_lock lock(mutex);
    ++frames;
    if (auto posted = clock_.lookup(frame.info.serial)) {
      post_to_memory.add(timing.completed - *posted);
    } else {
      ++misses;
    }
    seen_to_memory.add(timing.completed - timing.seen);
  }
  std::atomic<bool> measuring{false};
  std::mutex mutex;
  std::uint64_t frames{0};
  std::uint64_t misses{0};
  LatencyHistogram post_to_memory;
  LatencyHistogram seen_to_memory;

 private:
  const PostClock& clock_;
};

nlohmann::json latency_json(const LatencyHistogram& h) {
  return {{"count", h.count()},
          {"p50", to_ms(h.percentile(0.5))},
          {"p90", to_ms(h.percentile(0.9))},
          {"p99", to_ms(h.percentile(0.99))},
          {"max", to_ms(h.max())}};
}

void sleep_unless_stopped(double seconds, const std::atomic<bool>* stop) {
  const TimePoint end = Clock::now() + std::chrono::duration_cast<Nanoseconds>(
                                           std::chrono::duration<double>(seconds));
  while (Clock::now() < end && (stop == nullptr || !stop->load())) precise_sleep(Milliseconds(10));
}

}  // namespace

double measure_memcpy_rate(std::uint64_t bytes, double seconds) {
  std::vector<std::byte> a(bytes, std::byte{1});
  std::vector<std::byte> b(bytes, std::byte{2});
  std::memcpy(b.data(), a.data(), bytes);  // fault every page in first
  const TimePoint start = Clock::now();
  const TimePoint end =
      start + std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(seconds));
  std::uint64_t copies = 0;
  while (Clock::now() < end) {
    std::memcpy(b.data(), a.data(), bytes);
    asm volatile("" : : "r"(b.data()) : "memory");  // keep the copy
    ++copies;
  }
  return static_cast<double>(copies * bytes) / (to_ms(Clock::now() - start) / 1000.0);
}

Result<nlohmann::json> run_relay_bench(const RelayBenchOptions& options) {
  const std::uint64_t frame_bytes =
      std::uint64_t{options.width} * options.height * b7::texel_bytes(options.type);
  const std::uint64_t region_bytes =
      b7::recommended_region_bytes(options.width, options.height, b7::texel_bytes(options.type));
  const std::string base = fmt::format("{}/periscope-bench-{}", options.shm_dir, ::getpid());
  const std::string shm = base + ".ivshmem";
  const std::string clock_path = base + ".post-clock";
  ScopeExit cleanup([&] {
    std::error_code ec;
    std::filesystem::remove(shm, ec);
    std::filesystem::remove(clock_path, ec);
  });

  // The limit to compare with, measured first while the machine is otherwise quiet.
  const double memcpy_rate = measure_memcpy_rate(frame_bytes, 1.0);

  auto region = MappedRegion::open(shm, {.writable = true, .create_size_bytes = region_bytes});
  if (!region) return tl::unexpected(region.error());
  auto clock = PostClock::create(clock_path);
  if (!clock) return tl::unexpected(clock.error());

  // Fork before any thread of ours exists.
  const pid_t child = ::fork();
  if (child < 0) return fail_errno(errno, "fork");
  if (child == 0) run_producer_child(shm, clock_path, options);
  ScopeExit reap([&] {
    ::kill(child, SIGTERM);
    int status = 0;
    ::waitpid(child, &status, 0);
  });

  Meter meter(*clock);
  viewer::Receiver receiver(SharedRegion(region->bytes()), viewer::ReceiverOptions{}, nullptr,
                            &meter);
  receiver.start();
  sleep_unless_stopped(options.warmup_seconds, options.stop);
  const auto before = receiver.snapshot().consumer;
  meter.measuring = true;
  const TimePoint start = Clock::now();
  sleep_unless_stopped(options.seconds, options.stop);
  meter.measuring = false;
  const double measured_s = to_ms(Clock::now() - start) / 1000.0;
  const auto after = receiver.snapshot().consumer;

  // Idle: the producer keeps its heartbeat but sends nothing; what does the consumer cost?
  ::kill(child, SIGUSR1);
  sleep_unless_stopped(0.5, options.stop);
  const double cpu0 = process_cpu_seconds();
  const TimePoint idle_start = Clock::now();
  sleep_unless_stopped(options.idle_seconds, options.stop);
  const double idle_cpu_fraction =
      (process_cpu_seconds() - cpu0) / (to_ms(Clock::now() - idle_start) / 1000.0);
  const auto idle_after = receiver.snapshot();
  receiver.stop();

  std::scoped_lock lock(meter.mutex);
  const double fps = static_cast<double>(meter.frames) / measured_s;
  const double memcpy_fps = memcpy_rate / static_cast<double>(frame_bytes);
  const double p99 = to_ms(meter.post_to_memory.percentile(0.99));
  nlohmann::json j;
  j["size"] = fmt::format("{}x{}", options.width, options.height);
  j["format"] = b7::frame_type_name(options.type);
  j["frame_bytes"] = frame_bytes;
  j["region_bytes"] = region_bytes;
  j["seconds"] = measured_s;
  j["memcpy"] = {{"gb_per_s", memcpy_rate / 1e9}, {"frames_per_s", memcpy_fps}};
  j["relay"] = {{"frames", meter.frames},
                {"frames_per_s", fps},
                {"ratio_to_memcpy", fps / memcpy_fps},
                {"latency_posted_to_memory_ms", latency_json(meter.post_to_memory)},
                {"latency_seen_to_memory_ms", latency_json(meter.seen_to_memory)},
                {"post_clock_misses", meter.misses},
                {"rejected_messages", after.rejected_messages - before.rejected_messages},
                {"wp_stalls", after.wp_stalls - before.wp_stalls},
                {"session_restarts", after.session_restarts}};
  j["idle_consumer_cpu_percent"] = idle_cpu_fraction * 100.0;
  j["idle_session_alive"] = idle_after.running;
  j["frame_period_240hz_ms"] = kFramePeriod240HzMs;
  j["targets"] = {
      {"ratio_at_least_0.8", fps / memcpy_fps >= 0.8},
      {"p99_under_240hz_period", meter.post_to_memory.count() > 0 && p99 < kFramePeriod240HzMs},
      {"idle_cpu_under_2_percent", idle_cpu_fraction < 0.02}};
  return j;
}

}  // namespace periscope::bench
