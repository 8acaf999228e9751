#include "bench/view_bench.hpp"

#include <time.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "bench/producer_child.hpp"
#include "common/clock.hpp"
#include "relay/frame_format.hpp"
#include "relay/local_relay_files.hpp"
#include "viewer/frame_feed.hpp"
#include "viewer/receiver.hpp"
#include "viewer/stats_report.hpp"
#include "viewer/view_core.hpp"

namespace periscope::bench {

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

bool stopped(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load();
}

// Wakes the view loop when a frame lands, as a window's event queue would.
class Wakeup {
 public:
  void notify() {
    {
      const std::scoped_lock lock(mutex_);
      pending_ = true;
    }
    cv_.notify_one();
  }
  void wait(Nanoseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return pending_; });
    pending_ = false;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_{false};
};

struct LoopResult {
  double seconds{0};
  std::uint64_t received{0};
  std::uint64_t presented{0};
  double cpu_seconds{0};  // of the view loop's thread
};

// Runs the view loop (or, with `core` null, only waits) for `seconds`.
Result<LoopResult> run_loop(viewer::ViewCore* core, const viewer::FrameFeed& feed, Wakeup& wake,
                            double seconds, const std::atomic<bool>* stop) {
  LoopResult r;
  const std::uint64_t received0 = feed.frames_received();
  const std::uint64_t presented0 = core ? core->stats().frames_presented : 0;
  const double cpu0 = thread_cpu_seconds();
  const TimePoint start = Clock::now();
  const TimePoint end = start + from_seconds(seconds);
  while (Clock::now() < end && !stopped(stop)) {
    if (core == nullptr) {
      precise_sleep(Milliseconds(10));
      continue;
    }
    wake.wait(Milliseconds(5));
    if (auto stepped = core->step(Clock::now()); !stepped) {
      return tl::unexpected(stepped.error());
    }
  }
  r.seconds = to_ms(Clock::now() - start) / 1000.0;
  r.cpu_seconds = thread_cpu_seconds() - cpu0;
  r.received = feed.frames_received() - received0;
  r.presented = core ? core->stats().frames_presented - presented0 : 0;
  return r;
}

}  // namespace

Result<nlohmann::json> run_view_bench(const ViewBenchOptions& options,
                                      const PresenterFactory& make_presenter) {
  const std::uint64_t region_bytes =
      b7::recommended_region_bytes(options.width, options.height, b7::texel_bytes(options.type));
  auto files = LocalRelayFiles::create("viewbench", region_bytes, options.shm_dir);
  if (!files) return tl::unexpected(files.error());
  auto child = ProducerChild::start(*files, {options.width, options.height, options.type});
  if (!child) return tl::unexpected(child.error());
  ProducerControl& control = child->control();

  auto presenter = make_presenter();
  if (!presenter) return tl::unexpected(presenter.error());
  Wakeup wake;
  viewer::FrameFeed feed([&] { wake.notify(); });
  viewer::Receiver receiver(SharedRegion(files->region().bytes()), viewer::ReceiverOptions{},
                            &files->post_clock(), &feed);
  receiver.start();
  auto core = std::make_unique<viewer::ViewCore>(**presenter, receiver.frames(), feed,
                                                 viewer::ViewCoreOptions{}, nullptr);
  // Warm up with the view loop running (the first upload sizes the textures).
  if (auto warm = run_loop(core.get(), feed, wake, 1.0, options.stop); !warm) {
    return tl::unexpected(warm.error());
  }

  nlohmann::json rounds = nlohmann::json::array();
  std::vector<double> ratios;
  std::vector<double> relay_fps;
  std::vector<double> view_fps;
  std::vector<double> cpu_per_frame_ms;
  std::vector<double> shown_fps;
  for (int round = 0; round < options.rounds && !stopped(options.stop); ++round) {
    auto relay = run_loop(nullptr, feed, wake, options.seconds, options.stop);
    auto view = run_loop(core.get(), feed, wake, options.seconds, options.stop);
    if (!relay) return tl::unexpected(relay.error());
    if (!view) return tl::unexpected(view.error());
    const double r_fps = static_cast<double>(relay->received) / relay->seconds;
    const double v_fps = static_cast<double>(view->received) / view->seconds;
    const double cpu_ms =
        view->presented > 0 ? view->cpu_seconds * 1000.0 / static_cast<double>(view->presented) : 0;
    relay_fps.push_back(r_fps);
    view_fps.push_back(v_fps);
    ratios.push_back(r_fps > 0 ? v_fps / r_fps : 0);
    cpu_per_frame_ms.push_back(cpu_ms);
    shown_fps.push_back(static_cast<double>(view->presented) / view->seconds);
    rounds.push_back({{"relay_only_frames_per_s", r_fps},
                      {"with_view_frames_per_s", v_fps},
                      {"presented_per_s", static_cast<double>(view->presented) / view->seconds},
                      {"view_cpu_ms_per_frame", cpu_ms}});
  }

  // Paced: frames at a display's rate, so the latency is the viewer's own, not queueing.
  control.paced_fps = options.paced_fps;
  control.phase = ProducerControl::kPaced;
  if (auto settle = run_loop(core.get(), feed, wake, 0.5, options.stop); !settle) {
    return tl::unexpected(settle.error());
  }
  // A fresh loop, so its statistics hold the paced frames only.
  core = std::make_unique<viewer::ViewCore>(**presenter, receiver.frames(), feed,
                                            viewer::ViewCoreOptions{}, nullptr);
  auto paced = run_loop(core.get(), feed, wake, std::max(2.0, options.seconds), options.stop);
  if (!paced) return tl::unexpected(paced.error());
  const viewer::ViewCoreStats& after = core->stats();
  receiver.stop();

  const double ratio = median(ratios);
  const double relay_ms_per_frame = 1000.0 / std::max(1e-9, median(relay_fps));
  const double view_cpu_ms = median(cpu_per_frame_ms);
  nlohmann::json j;
  j["size"] = fmt::format("{}x{}", options.width, options.height);
  j["format"] = b7::frame_type_name(options.type);
  j["presenter"] = (*presenter)->name();
  j["rounds"] = rounds;
  j["relay_only_frames_per_s"] = median(relay_fps);
  j["with_view_frames_per_s"] = median(view_fps);
  j["presented_per_s"] = median(shown_fps);
  j["throughput_ratio"] = ratio;  // median of the rounds' with-view / relay-only ratios
  j["added_cost_percent"] = ratio > 0 ? (1.0 / ratio - 1.0) * 100.0 : 100.0;
  j["relay_ms_per_frame"] = relay_ms_per_frame;
  j["view_cpu_ms_per_frame"] = view_cpu_ms;
  j["view_cpu_percent_of_relay_frame"] = view_cpu_ms / relay_ms_per_frame * 100.0;
  j["paced"] = {{"target_fps", options.paced_fps},
                {"received_per_s", static_cast<double>(paced->received) / paced->seconds},
                {"presented_per_s", static_cast<double>(paced->presented) / paced->seconds},
                {"frames", after.frames_presented},
                {"receive_to_present_ms", viewer::latency_to_json(after.receive_to_present)},
                {"upload_ms", viewer::latency_to_json(after.upload_time)},
                {"present_ms", viewer::latency_to_json(after.present_time)},
                {"view_cpu_percent_of_one_core", paced->cpu_seconds / paced->seconds * 100.0}};
  j["targets"] = {{"added_under_10_percent", j["added_cost_percent"].get<double>() < 10.0}};
  return j;
}

}  // namespace periscope::bench
