#pragma once
// The oracle for inputs that never scribbled on the region: what the consumer's private frame
// must hold. It makes each frame's source image, changing pixels only inside the damage
// rectangles it reports (so a consumer that copies only the damage still ends up with the whole
// image), and remembers the image of the newest frame the producer really wrote.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "relay/producer.hpp"

namespace periscope::fuzz {

class FrameModel {
 public:
  // Whether `desc` continues the format of the previous frame. A capture source reports
  // everything as damaged after a mode change, so the harness sends no rects then.
  [[nodiscard]] bool continues(const FrameDesc& desc) const;
  // Makes the source image of the next frame (rows x pitch bytes) and returns it.
  const std::byte* prepare(const FrameDesc& desc, std::uint32_t pitch, std::uint32_t rows,
                           std::span<const b7::DamageRect> damage);
  // Records what write_frame did with the image prepare() made.
  void written(const Result<FrameWritten>& result, bool strict);

  // The image of the newest frame written, if the consumer's copy of it must match.
  [[nodiscard]] std::optional<std::span<const std::byte>> expected(std::uint32_t serial) const;

 private:
  void fill(std::size_t begin, std::size_t end);

  std::optional<FrameDesc> desc_;
  std::vector<std::byte> image_;    // the source of the next frame
  std::vector<std::byte> written_;  // the image of frame serial_
  std::uint32_t serial_{0};
  bool have_{false};
  bool trusted_{true};
  bool last_full_{true};
  std::uint32_t generation_{0};
};

}  // namespace periscope::fuzz
