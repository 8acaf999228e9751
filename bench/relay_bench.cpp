#include "bench/relay_bench.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/producer_child.hpp"
#include "common/latency_histogram.hpp"
#include "common/log.hpp"
#include "common/mapped_region.hpp"
#include "common/scope_exit.hpp"
#include "relay/frame_format.hpp"
#include "relay/local_relay_files.hpp"
#include "relay/producer.hpp"
#include "viewer/receiver.hpp"
#include "viewer/stats_report.hpp"

namespace periscope::bench {

namespace {

constexpr double kFramePeriod240HzMs = 1000.0 / 240.0;

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct PhaseResult {
  std::uint64_t frames{0};
  std::uint64_t misses{0};
  LatencyHistogram post_to_memory;
  LatencyHistogram seen_to_memory;
};

// Records post -> in-memory latency into the phase being measured, if any.
class Meter final : public ConsumerEvents {
 public:
  explicit Meter(const PostClock& clock) : clock_(clock) {}
  void on_frame(const Frame& frame, const FrameTiming& timing) override {
    std::scoped_lock lock(mutex_);
    if (phase_ == nullptr) return;
    ++phase_->frames;
    if (auto posted = clock_.lookup(frame.info.serial)) {
      phase_->post_to_memory.add(timing.completed - *posted);
    } else {
      ++phase_->misses;
    }
    phase_->seen_to_memory.add(timing.completed - timing.seen);
  }
  void measure(PhaseResult* phase) {
    std::scoped_lock lock(mutex_);
    phase_ = phase;
  }

 private:
  const PostClock& clock_;
  std::mutex mutex_;
  PhaseResult* phase_{nullptr};
};

void sleep_unless_stopped(double seconds, const std::atomic<bool>* stop) {
  const TimePoint end = Clock::now() + from_seconds(seconds);
  while (Clock::now() < end && (stop == nullptr || !stop->load())) precise_sleep(Milliseconds(10));
}

// Measures one phase: returns its length in seconds.
double measure(Meter& meter, PhaseResult& result, double seconds, const std::atomic<bool>* stop) {
  meter.measure(&result);
  const TimePoint start = Clock::now();
  sleep_unless_stopped(seconds, stop);
  meter.measure(nullptr);
  return to_ms(Clock::now() - start) / 1000.0;
}

}  // namespace

double measure_memcpy_rate(std::uint64_t bytes, double seconds) {
  std::vector<std::byte> a(bytes, std::byte{1});
  std::vector<std::byte> b(bytes, std::byte{2});
  std::memcpy(b.data(), a.data(), bytes);  // fault every page in first
  const TimePoint start = Clock::now();
  const TimePoint end = start + from_seconds(seconds);
  std::uint64_t copies = 0;
  while (Clock::now() < end) {
    std::memcpy(b.data(), a.data(), bytes);
    asm volatile("" : : "r"(b.data()) : "memory");  // keep the copy
    ++copies;
  }
  return static_cast<double>(copies * bytes) / (to_ms(Clock::now() - start) / 1000.0);
}

double measure_concurrent_memcpy_rate(std::uint64_t bytes, double seconds) {
  // The same copy on both cores at once: what the machine's memory gives each of two copies,
  // which is what the relay is (the producer's copy in and the consumer's copy out overlap).
  double other = 0;
  std::thread second([&] { other = measure_memcpy_rate(bytes, seconds); });
  const double mine = measure_memcpy_rate(bytes, seconds);
  second.join();
  return std::min(mine, other);
}

Result<nlohmann::json> run_relay_bench(const RelayBenchOptions& options) {
  const std::uint64_t frame_bytes =
      std::uint64_t{options.width} * options.height * b7::texel_bytes(options.type);
  const std::uint64_t region_bytes =
      b7::recommended_region_bytes(options.width, options.height, b7::texel_bytes(options.type));
  // The limit to compare with, measured first while the machine is otherwise quiet.
  const double memcpy_rate = measure_memcpy_rate(frame_bytes, 1.0);
  const double concurrent_rate = measure_concurrent_memcpy_rate(frame_bytes, 1.0);

  auto files = LocalRelayFiles::create("bench", region_bytes, options.shm_dir);
  if (!files) return tl::unexpected(files.error());
  // Fork before any thread of ours exists.
  auto child = ProducerChild::start(*files, {options.width, options.height, options.type});
  if (!child) return tl::unexpected(child.error());
  ProducerControl& control = child->control();

  Meter meter(files->post_clock());
  viewer::Receiver receiver(SharedRegion(files->region().bytes()), viewer::ReceiverOptions{},
                            nullptr, &meter);
  receiver.start();

  // 1. Throughput: the producer sends as fast as the relay takes frames.
  sleep_unless_stopped(options.warmup_seconds, options.stop);
  const auto before = receiver.snapshot().consumer;
  PhaseResult saturated;
  const double saturated_s = measure(meter, saturated, options.seconds, options.stop);
  const auto after = receiver.snapshot().consumer;

  // 2. Latency: frames paced at a display's rate, so no frame waits behind another.
  control.paced_fps = options.latency_fps;
  control.phase = ProducerControl::kPaced;
  sleep_unless_stopped(0.3, options.stop);
  PhaseResult paced;
  const double paced_s = measure(meter, paced, std::max(2.0, options.seconds / 2), options.stop);

  // 3. Idle: the producer keeps its heartbeat but sends nothing; what does the consumer cost?
  control.phase = ProducerControl::kIdle;
  sleep_unless_stopped(0.5, options.stop);
  const double cpu0 = process_cpu_seconds();
  const TimePoint idle_start = Clock::now();
  sleep_unless_stopped(options.idle_seconds, options.stop);
  const double idle_cpu_fraction =
      (process_cpu_seconds() - cpu0) / (to_ms(Clock::now() - idle_start) / 1000.0);
  const bool idle_session_alive = receiver.snapshot().running;
  receiver.stop();

  const double fps = static_cast<double>(saturated.frames) / saturated_s;
  const double memcpy_fps = memcpy_rate / static_cast<double>(frame_bytes);
  const double paced_p99 = to_ms(paced.post_to_memory.percentile(0.99));
  nlohmann::json j;
  j["size"] = fmt::format("{}x{}", options.width, options.height);
  j["format"] = b7::frame_type_name(options.type);
  j["frame_bytes"] = frame_bytes;
  j["region_bytes"] = region_bytes;
  const double concurrent_fps = concurrent_rate / static_cast<double>(frame_bytes);
  j["memcpy"] = {{"gb_per_s", memcpy_rate / 1e9},
                 {"frames_per_s", memcpy_fps},
                 {"two_at_once_gb_per_s_each", concurrent_rate / 1e9},
                 {"two_at_once_frames_per_s_each", concurrent_fps}};
  j["throughput"] = {
      {"seconds", saturated_s},
      {"frames", saturated.frames},
      {"frames_per_s", fps},
      {"ratio_to_memcpy", fps / memcpy_fps},
      {"ratio_to_two_memcpys_at_once", fps / concurrent_fps},
      {"latency_posted_to_memory_ms", viewer::latency_to_json(saturated.post_to_memory)},
      {"rejected_messages", after.rejected_messages - before.rejected_messages},
      {"wp_stalls", after.wp_stalls - before.wp_stalls}};
  j["paced"] = {{"target_fps", options.latency_fps},
                {"frames_per_s", static_cast<double>(paced.frames) / paced_s},
                {"latency_posted_to_memory_ms", viewer::latency_to_json(paced.post_to_memory)},
                {"latency_seen_to_memory_ms", viewer::latency_to_json(paced.seen_to_memory)},
                {"post_clock_misses", paced.misses}};
  j["idle_consumer_cpu_percent"] = idle_cpu_fraction * 100.0;
  j["idle_session_alive"] = idle_session_alive;
  j["session_restarts"] = receiver.snapshot().consumer.session_restarts;
  j["frame_period_240hz_ms"] = kFramePeriod240HzMs;
  j["targets"] = {{"ratio_at_least_0.8", fps / memcpy_fps >= 0.8},
                  {"paced_p99_under_240hz_period",
                   paced.post_to_memory.count() > 0 && paced_p99 < kFramePeriod240HzMs},
                  {"idle_cpu_under_2_percent", idle_cpu_fraction < 0.02}};
  return j;
}

}  // namespace periscope::bench
