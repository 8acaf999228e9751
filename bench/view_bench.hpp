#pragma once
// `periscope bench view`: what the viewer adds to the relay. A producer child sends wholly
// damaged frames as fast as the relay takes them; rounds alternate "relay only" (frames land
// in the ring, nobody shows them) with "relay + view loop" (every frame is taken from the
// ring, uploaded and presented), so both are measured under the same noise. Then a paced
// phase measures receive->present latency at a display's rate.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "relay/layout.hpp"
#include "viewer/presenter.hpp"

namespace periscope::bench {

struct ViewBenchOptions {
  std::uint32_t width{2560};
  std::uint32_t height{1440};
  b7::FrameType type{b7::FrameType::kBgra};
  double seconds{2};  // per measurement
  int rounds{3};
  double paced_fps{144};
  std::string shm_dir{"/dev/shm"};
  const std::atomic<bool>* stop{nullptr};
};

// Makes the presenter; called after the producer child is forked, because a window system
// starts threads of its own.
using PresenterFactory = std::function<Result<std::shared_ptr<viewer::Presenter>>()>;

Result<nlohmann::json> run_view_bench(const ViewBenchOptions& options,
                                      const PresenterFactory& make_presenter);

}  // namespace periscope::bench
