#pragma once
// The viewer's statistics as a JSON document (--stats-json) and as a one-line live report.
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "viewer/receiver.hpp"

namespace periscope::viewer {

// {count, p50, p90, p99, max, mean} in milliseconds; null when there are no samples.
nlohmann::json latency_to_json(const LatencyHistogram& histogram);

nlohmann::json stats_to_json(const ReceiverStats& stats, Nanoseconds elapsed, TimePoint now);

// e.g. "frames 1234 (120.0/s)  latency p50 1.21 p99 2.40 max 3.10 ms  rejected 0  restarts 0"
// `previous` is the snapshot one interval ago, for the per-second rate.
std::string stats_line(const ReceiverStats& stats, const ReceiverStats& previous,
                       Nanoseconds interval);

}  // namespace periscope::viewer
