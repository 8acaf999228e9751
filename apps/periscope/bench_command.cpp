#include <cstdio>
#include <memory>

#include "bench/relay_bench.hpp"
#include "commands.hpp"
#include "common/dimensions.hpp"
#include "common/log.hpp"
#include "relay/frame_format.hpp"

namespace periscope::app {

namespace {

struct BenchArgs {
  std::string size{"2560x1440"};
  std::string format{"bgra"};
  double seconds{5};
  double latency_fps{240};
  bool json{false};
};

int run_relay(const BenchArgs& args) {
  auto size = parse_dimensions(args.size);
  if (!size) {
    spdlog::error("{}", size.error().message);
    return 2;
  }
  auto type = b7::parse_frame_type(args.format);
  if (!type) {
    spdlog::error("bad --format '{}'", args.format);
    return 2;
  }
  bench::RelayBenchOptions options;
  options.width = size->width;
  options.height = size->height;
  options.type = *type;
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
}

}  // namespace periscope::app
