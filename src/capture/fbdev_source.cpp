#include "capture/fbdev_source.hpp"

#include <fcntl.h>
#include <linux/fb.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "capture/tile_diff.hpp"
#include "common/log.hpp"

namespace periscope::capture {

namespace {

// Above this the mode is nonsense (a hostile or broken driver), not a screen.
constexpr std::uint32_t kMaxDimension = 16384;

Result<FbdevMode> read_mode(int fd, const std::string& device) {
  fb_var_screeninfo var{};
  fb_fix_screeninfo fix{};
  if (::ioctl(fd, FBIOGET_VSCREENINFO, &var) != 0 || ::ioctl(fd, FBIOGET_FSCREENINFO, &fix) != 0) {
    return fail(ErrorCode::kIo, "{}: not a framebuffer ({})", device, std::strerror(errno));
  }
  FbdevMode mode;
  mode.width = var.xres;
  mode.height = var.yres;
  mode.bits_per_pixel = var.bits_per_pixel;
  mode.line_length_bytes = fix.line_length;
  mode.red_offset = var.red.offset;
  mode.green_offset = var.green.offset;
  mode.blue_offset = var.blue.offset;
  mode.y_offset = var.yoffset;
  mode.memory_bytes = fix.smem_len;
  return mode;
}

Nanoseconds period_of(double fps) {
  return fps > 0 ? from_seconds(1.0 / fps) : Nanoseconds(0);
}

}  // namespace

// Each poll reads the whole picture, so polling is what capture costs. After a change the next
// poll comes at max_fps (typing, scrolling); every poll that finds nothing doubles the wait, up
// to the idle period. A console that redraws one line a second thus costs a few polls per
// change instead of max_fps polls a second, and a change after stillness waits at most the
// idle period.
Nanoseconds FbdevSource::poll_period() const {
  const Nanoseconds fast = period_of(options_.max_fps);
  const Nanoseconds slow = std::max(fast, period_of(options_.idle_fps));
  Nanoseconds period = fast;
  for (std::uint32_t i = 0; i < unchanged_polls_ && period < slow; ++i) period *= 2;
  return std::min(period, slow);
}

Result<b7::FrameType> frame_type_for(const FbdevMode& mode) {
  if (mode.width == 0 || mode.height == 0 || mode.width > kMaxDimension ||
      mode.height > kMaxDimension) {
    return fail(ErrorCode::kInvalidArgument, "framebuffer size {}x{} is out of range", mode.width,
                mode.height);
  }
  if (mode.bits_per_pixel != 32) {
    return fail(ErrorCode::kUnsupported,
                "framebuffer is {} bits per pixel; capture supports 32 (boot with vga=0x344 "
                "or set the mode with fbset -depth 32)",
                mode.bits_per_pixel);
  }
  if (static_cast<std::uint64_t>(mode.line_length_bytes) < std::uint64_t{mode.width} * 4 ||
      (static_cast<std::uint64_t>(mode.y_offset) + mode.height) * mode.line_length_bytes >
          mode.memory_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                "framebuffer geometry is inconsistent ({}x{}, {} bytes per line, {} bytes)",
                mode.width, mode.height, mode.line_length_bytes, mode.memory_bytes);
  }
  if (mode.red_offset == 16 && mode.green_offset == 8 && mode.blue_offset == 0) {
    return b7::FrameType::kBgra;  // bytes B, G, R, X in memory
  }
  if (mode.red_offset == 0 && mode.green_offset == 8 && mode.blue_offset == 16) {
    return b7::FrameType::kRgba;
  }
  return fail(ErrorCode::kUnsupported, "framebuffer channel layout r{} g{} b{} is not supported",
              mode.red_offset, mode.green_offset, mode.blue_offset);
}

FbdevSource::FbdevSource(FbdevOptions options, UniqueFd fd)
    : options_(std::move(options)), fd_(std::move(fd)) {}

FbdevSource::~FbdevSource() {
  unmap();
}

Result<std::unique_ptr<FbdevSource>> FbdevSource::open(const FbdevOptions& options) {
  UniqueFd fd(::open(options.device.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, "{}: {}", options.device,
                std::strerror(errno));
  }
  std::unique_ptr<FbdevSource> source(new FbdevSource(options, std::move(fd)));
  if (auto mapped = source->map_current_mode(); !mapped) {
    return tl::unexpected(mapped.error());
  }
  return source;
}

void FbdevSource::unmap() {
  if (mapping_ != nullptr) {
    ::munmap(const_cast<std::byte*>(mapping_), mapping_bytes_);
    mapping_ = nullptr;
    mapping_bytes_ = 0;
  }
}

Status FbdevSource::map_current_mode() {
  unmap();
  auto mode = read_mode(fd_.get(), options_.device);
  if (!mode) return tl::unexpected(mode.error());
  auto type = frame_type_for(*mode);
  if (!type) return tl::unexpected(type.error());
  void* mapped = ::mmap(nullptr, mode->memory_bytes, PROT_READ, MAP_SHARED, fd_.get(), 0);
  if (mapped == MAP_FAILED) {
    return fail(ErrorCode::kIo, "{}: mmap of {} bytes failed: {}", options_.device,
                mode->memory_bytes, std::strerror(errno));
  }
  mapping_ = static_cast<const std::byte*>(mapped);
  mapping_bytes_ = mode->memory_bytes;
  mode_ = *mode;
  type_ = *type;
  copy_.assign(std::size_t{mode_.width} * 4 * mode_.height, std::byte{0});
  frames_ = 0;
  spdlog::info("{}: {}x{}, 32 bits per pixel, {} bytes per line", options_.device, mode_.width,
               mode_.height, mode_.line_length_bytes);
  return {};
}

CaptureStatus FbdevSource::capture_frame(Nanoseconds timeout, CapturedFrame& frame) {
  const TimePoint deadline = Clock::now() + timeout;
  for (;;) {
    if (next_poll_ > deadline) {
      std::this_thread::sleep_until(deadline);
      return CaptureStatus::kTimeout;
    }
    std::this_thread::sleep_until(next_poll_);
    const TimePoint now = Clock::now();
    next_poll_ = now + poll_period();
    // A mode switch (fbset, a DRM driver taking over) is seen on the next poll.
    auto mode = read_mode(fd_.get(), options_.device);
    if (!mode) {
      spdlog::error("{}", mode.error().message);
      return CaptureStatus::kError;
    }
    if (!(*mode == mode_)) {
      if (auto mapped = map_current_mode(); !mapped) {
        spdlog::error("{}", mapped.error().message);
        return CaptureStatus::kError;
      }
      return CaptureStatus::kReinit;
    }

    const PixelPlane live{mapping_ + std::size_t{mode_.y_offset} * mode_.line_length_bytes,
                          mode_.line_length_bytes};
    const MutablePixelPlane copy{copy_.data(), mode_.width * 4};
    auto damage = copy_changed_tiles(live, copy, {.width = mode_.width, .height = mode_.height});
    if (damage.empty() && frames_ > 0) {
      ++unchanged_polls_;
      if (Clock::now() >= deadline) return CaptureStatus::kTimeout;
      continue;
    }
    unchanged_polls_ = 0;
    frame.type = type_;
    frame.width = mode_.width;
    frame.height = mode_.height;
    frame.pitch = mode_.width * 4;
    frame.pixels = copy_;
    if (frames_ == 0) damage.clear();  // the first frame is wholly new
    frame.damage = std::move(damage);
    frame.index = frames_++;
    return CaptureStatus::kOk;
  }
}

}  // namespace periscope::capture
