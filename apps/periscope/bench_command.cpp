#include <cstdio>
#include <memory>
#include <optional>

#include "bench/audio_bench.hpp"
#include "bench/relay_bench.hpp"
#include "bench/view_bench.hpp"
#include "commands.hpp"
#include "common/dimensions.hpp"
#include "common/log.hpp"
#include "relay/frame_format.hpp"
#include "viewer/software_presenter.hpp"
#include "window/gl_window.hpp"

namespace periscope::app {

namespace {

struct FrameSpec {
  std::uint32_t width{0};
  std::uint32_t height{0};
  b7::FrameType type{b7::FrameType::kBgra};
};

// --size and --format of the frame benchmarks; says what is wrong and returns nullopt.
std::optional<FrameSpec> parse_frame_spec(const std::string& size_text, const std::string& format) {
  auto size = parse_dimensions(size_text);
  if (!size) {
    spdlog::error("{}", size.error().message);
    return std::nullopt;
  }
  auto type = b7::parse_frame_type(format);
  if (!type) {
    spdlog::error("bad --format '{}'", format);
    return std::nullopt;
  }
  return FrameSpec{size->width, size->height, *type};
}

struct BenchArgs {
  std::string size{"2560x1440"};
  std::string format{"bgra"};
  double seconds{5};
  double latency_fps{240};
  bool json{false};
};

int run_relay(const BenchArgs& args) {
  const auto frame = parse_frame_spec(args.size, args.format);
  if (!frame) return 2;
  bench::RelayBenchOptions options;
  options.width = frame->width;
  options.height = frame->height;
  options.type = frame->type;
  options.seconds = args.seconds;
  options.latency_fps = args.latency_fps;
  options.stop = &g_stop;
  auto result = bench::run_relay_bench(options);
  if (!result) {
    spdlog::error("{}", result.error().message);
    return 1;
  }
  const auto& r = *result;
  if (args.json) {
    std::puts(r.dump(2).c_str());
    return 0;
  }
  const auto& t = r["throughput"];
  const auto& p = r["paced"];
  const auto& lat = p["latency_posted_to_memory_ms"];
  std::printf(
      "relay %s %s: %.1f frames/s = %.2f x memcpy (%.1f frames/s, %.1f GB/s); %.2f x two "
      "memcpys at once (%.1f frames/s each)\n"
      "latency posted->in memory at %.0f fps: p50 %.2f  p99 %.2f  max %.2f ms (240 Hz period "
      "%.2f ms)\n"
      "idle consumer: %.2f%% of one core\n",
      r["size"].get<std::string>().c_str(), r["format"].get<std::string>().c_str(),
      t["frames_per_s"].get<double>(), t["ratio_to_memcpy"].get<double>(),
      r["memcpy"]["frames_per_s"].get<double>(), r["memcpy"]["gb_per_s"].get<double>(),
      t["ratio_to_two_memcpys_at_once"].get<double>(),
      r["memcpy"]["two_at_once_frames_per_s_each"].get<double>(), p["frames_per_s"].get<double>(),
      lat["p50"].get<double>(), lat["p99"].get<double>(), lat["max"].get<double>(),
      r["frame_period_240hz_ms"].get<double>(), r["idle_consumer_cpu_percent"].get<double>());
  return 0;
}

struct ViewBenchArgs {
  std::string size{"2560x1440"};
  std::string format{"bgra"};
  std::string presenter{"headless"};
  double seconds{2};
  int rounds{3};
  double paced_fps{144};
  bool json{false};
};

int run_view(const ViewBenchArgs& args) {
  const auto frame = parse_frame_spec(args.size, args.format);
  if (!frame) return 2;
  bench::ViewBenchOptions options;
  options.width = frame->width;
  options.height = frame->height;
  options.type = frame->type;
  options.seconds = args.seconds;
  options.rounds = args.rounds;
  options.paced_fps = args.paced_fps;
  options.stop = &g_stop;
  std::string description = "no drawing";
  const std::uint32_t width = frame->width;
  const std::uint32_t height = frame->height;
  bench::PresenterFactory factory;
  if (args.presenter == "gl") {
    factory = [&]() -> Result<std::shared_ptr<viewer::Presenter>> {
      // A window the guest's size, so present() draws every pixel once (1:1).
      auto window = window::GlWindow::open({"periscope bench", width, height, false, false});
      if (!window) return tl::unexpected(window.error());
      description = (*window)->description();
      std::shared_ptr<window::GlWindow> owner(std::move(*window));
      return std::shared_ptr<viewer::Presenter>(owner, &owner->presenter());
    };
  } else {
    factory = [&]() -> Result<std::shared_ptr<viewer::Presenter>> {
      return std::make_shared<viewer::SoftwarePresenter>(viewer::OutputSize{width, height}, false);
    };
  }
  auto result = bench::run_view_bench(options, factory);
  if (!result) {
    spdlog::error("{}", result.error().message);
    return 1;
  }
  auto& r = *result;
  r["presenter_description"] = description;
  if (args.json) {
    std::puts(r.dump(2).c_str());
    return 0;
  }
  const auto& p = r["paced"];
  std::printf(
      "view %s %s, %s presenter (%s):\n"
      "  throughput: relay only %.1f frames/s, relay + view %.1f frames/s (%.1f shown/s): the "
      "view adds %.1f%% (median of %zu rounds)\n"
      "  view loop CPU %.3f ms per frame = %.1f%% of the relay's %.2f ms per frame\n"
      "  paced at %.0f fps: presented %.1f/s, receive->present p50 %.2f p99 %.2f max %.2f ms "
      "(upload p50 %.2f, present p50 %.2f)\n",
      r["size"].get<std::string>().c_str(), r["format"].get<std::string>().c_str(),
      r["presenter"].get<std::string>().c_str(), description.c_str(),
      r["relay_only_frames_per_s"].get<double>(), r["with_view_frames_per_s"].get<double>(),
      r["presented_per_s"].get<double>(), r["added_cost_percent"].get<double>(), r["rounds"].size(),
      r["view_cpu_ms_per_frame"].get<double>(), r["view_cpu_percent_of_relay_frame"].get<double>(),
      r["relay_ms_per_frame"].get<double>(), p["target_fps"].get<double>(),
      p["presented_per_s"].get<double>(), p["receive_to_present_ms"].value("p50", 0.0),
      p["receive_to_present_ms"].value("p99", 0.0), p["receive_to_present_ms"].value("max", 0.0),
      p["upload_ms"].value("p50", 0.0), p["present_ms"].value("p50", 0.0));
  return 0;
}

int run_audio(double cpu_seconds, double latency_seconds, bool json) {
  bench::AudioBenchOptions options;
  options.cpu_audio_seconds = cpu_seconds;
  options.latency_seconds = latency_seconds;
  options.stop = &g_stop;
  auto result = bench::run_audio_bench(options);
  if (!result) {
    spdlog::error("{}", result.error().message);
    return 1;
  }
  const auto& r = *result;
  if (json) {
    std::puts(r.dump(2).c_str());
    return 0;
  }
  for (const auto& c : r["cpu"]) {
    std::printf(
        "receive path, %d Hz / %d bit / %d ch: %.2f%% of one core (%.3f s of CPU for %.0f s "
        "of audio)\n",
        c["rate_hz"].get<int>(), c["bits"].get<int>(), c["channels"].get<int>(),
        c["cpu_percent_of_one_core"].get<double>(), c["cpu_seconds"].get<double>(),
        c["audio_seconds"].get<double>());
  }
  const auto& l = r["latency"];
  std::printf(
      "receive -> output at a %.0f ms target, %.0f s over loopback: p50 %.2f p99 %.2f max "
      "%.2f ms, %llu underruns\n",
      l["target_ms"].get<double>(), l["seconds"].get<double>(),
      l["receive_to_output_ms"].value("p50", 0.0), l["receive_to_output_ms"].value("p99", 0.0),
      l["receive_to_output_ms"].value("max", 0.0),
      static_cast<unsigned long long>(l["underruns"].get<std::uint64_t>()));
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto* bench = app.add_subcommand("bench", "measure Periscope's speed on this machine");
  bench->require_subcommand(1);
  auto* relay = bench->add_subcommand(
      "relay", "producer and consumer processes over shared memory vs this machine's memcpy");
  auto args = std::make_shared<BenchArgs>();
  relay->add_option("--size", args->size, "frame size")->capture_default_str();
  relay->add_option("--format", args->format, "pixel format")->capture_default_str();
  relay->add_option("--seconds", args->seconds, "measuring time")->capture_default_str();
  relay->add_option("--latency-fps", args->latency_fps, "frame rate of the latency phase")
      ->capture_default_str();
  relay->add_flag("--json", args->json, "print the result as JSON");
  relay->callback([args, &exit_code] { exit_code = run_relay(*args); });

  auto* view = bench->add_subcommand(
      "view", "what the viewer adds to the relay: throughput and receive->present latency");
  auto vargs = std::make_shared<ViewBenchArgs>();
  view->add_option("--size", vargs->size, "frame size")->capture_default_str();
  view->add_option("--format", vargs->format, "pixel format")->capture_default_str();
  view->add_option("--presenter", vargs->presenter,
                   "headless (no drawing: the view loop's own cost) or gl (a window; needs a "
                   "display, e.g. xvfb-run, or SDL_VIDEODRIVER=offscreen)")
      ->check(CLI::IsMember({"headless", "gl"}))
      ->capture_default_str();
  view->add_option("--seconds", vargs->seconds, "each measurement's length")->capture_default_str();
  view->add_option("--rounds", vargs->rounds, "relay-only / relay+view rounds (medians reported)")
      ->capture_default_str();
  view->add_option("--paced-fps", vargs->paced_fps, "frame rate of the latency phase")
      ->capture_default_str();
  view->add_flag("--json", vargs->json, "print the result as JSON");
  view->callback([vargs, &exit_code] { exit_code = run_view(*vargs); });

  auto* audio = bench->add_subcommand(
      "audio", "the audio receiver: CPU per second of audio and receive->output latency");
  auto audio_cpu_s = std::make_shared<double>(60);
  auto audio_latency_s = std::make_shared<double>(5);
  auto audio_json = std::make_shared<bool>(false);
  audio->add_option("--cpu-audio-seconds", *audio_cpu_s, "audio pushed through for the CPU figure")
      ->capture_default_str();
  audio->add_option("--latency-seconds", *audio_latency_s, "real-time latency phase")
      ->capture_default_str();
  audio->add_flag("--json", *audio_json, "print the result as JSON");
  audio->callback(
      [=, &exit_code] { exit_code = run_audio(*audio_cpu_s, *audio_latency_s, *audio_json); });
}

}  // namespace periscope::app
