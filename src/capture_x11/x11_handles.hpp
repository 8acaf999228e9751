#pragma once
// Owning types for what the X11 source holds: the connection, the MIT-SHM segment and its
// XImage, the XDamage object, an XFixes region, and anything Xlib hands back to be XFree'd.
// Each releases in its destructor; the ones that live on the server need the Display* they
// were made on, which must outlive them (X11Source declares the connection first).
#include <cstddef>
#include <memory>
#include <utility>

#include "capture_x11/x11_errors.hpp"
#include "capture_x11/x11_includes.hpp"

namespace periscope::capture::x11 {

struct DisplayCloser {
  void operator()(Display* display) const { close_display(display); }
};
using DisplayPtr = std::unique_ptr<Display, DisplayCloser>;

struct XFreeDeleter {
  void operator()(void* p) const {
    if (p != nullptr) XFree(p);
  }
};
// XFixesGetCursorImage's reply, XFixesFetchRegion's rectangles, …
template <typename T>
using XFreePtr = std::unique_ptr<T, XFreeDeleter>;

// An XImage whose pixel memory belongs to someone else (the SHM segment, or our buffer):
// XDestroyImage would free `data`, so it is cleared first.
struct ImageDestroyer {
  void operator()(XImage* image) const {
    image->data = nullptr;
    XDestroyImage(image);
  }
};
using BorrowedImagePtr = std::unique_ptr<XImage, ImageDestroyer>;

// An XImage with its own pixel memory (from XGetImage).
struct OwnedImageDestroyer {
  void operator()(XImage* image) const { XDestroyImage(image); }
};
using OwnedImagePtr = std::unique_ptr<XImage, OwnedImageDestroyer>;

// A System V shared-memory segment, attached here and (once attach() succeeded) by the X
// server. The segment is marked for removal as soon as both sides hold it, so it disappears
// even if this process is killed.
class ShmSegment {
 public:
  ShmSegment() = default;
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ShmSegment(ShmSegment&& other) noexcept
      : display_(std::exchange(other.display_, nullptr)),
        info_(std::move(other.info_)),
        server_attached_(std::exchange(other.server_attached_, false)) {}
  ShmSegment& operator=(ShmSegment&& other) noexcept {
    if (this != &other) {
      release();
      display_ = std::exchange(other.display_, nullptr);
      info_ = std::move(other.info_);
      server_attached_ = std::exchange(other.server_attached_, false);
    }
    return *this;
  }
  ~ShmSegment() { release(); }

  // Creates and maps `bytes` bytes; false (and nothing held) on failure.
  bool create(std::size_t bytes) {
    release();
    info_ = std::make_unique<XShmSegmentInfo>();
    info_->shmid = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
    if (info_->shmid < 0) {
      info_.reset();
      return false;
    }
    void* address = shmat(info_->shmid, nullptr, 0);
    if (address == reinterpret_cast<void*>(-1)) {  // NOLINT: shmat's documented error value
      shmctl(info_->shmid, IPC_RMID, nullptr);
      info_.reset();
      return false;
    }
    info_->shmaddr = static_cast<char*>(address);
    info_->readOnly = False;
    return true;
  }
  // Records that the server attached it (XShmAttach succeeded, checked with XSync), so the
  // destructor detaches it there too, and marks it for removal.
  void server_attached(Display* display) {
    display_ = display;
    server_attached_ = true;
    shmctl(info_->shmid, IPC_RMID, nullptr);
  }

  // Stable address: XShmCreateImage keeps a pointer to it in the image.
  [[nodiscard]] XShmSegmentInfo* info() const { return info_.get(); }
  [[nodiscard]] std::byte* data() const { return reinterpret_cast<std::byte*>(info_->shmaddr); }

 private:
  void release() {
    if (!info_) return;
    if (server_attached_ && display_ != nullptr) {
      XShmDetach(display_, info_.get());
      XSync(display_, False);  // the server lets go before the memory goes
    } else {
      shmctl(info_->shmid, IPC_RMID, nullptr);
    }
    shmdt(info_->shmaddr);
    info_.reset();
    server_attached_ = false;
  }

  Display* display_{nullptr};
  std::unique_ptr<XShmSegmentInfo> info_;
  bool server_attached_{false};
};

// A server-side XID destroyed with the display it was made on.
template <typename Id, void (*Destroy)(Display*, Id)>
class ServerResource {
 public:
  ServerResource() = default;
  ServerResource(Display* display, Id id) : display_(display), id_(id) {}
  ServerResource(const ServerResource&) = delete;
  ServerResource& operator=(const ServerResource&) = delete;
  ServerResource(ServerResource&& other) noexcept
      : display_(std::exchange(other.display_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  ServerResource& operator=(ServerResource&& other) noexcept {
    if (this != &other) {
      reset();
      display_ = std::exchange(other.display_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  ~ServerResource() { reset(); }
  [[nodiscard]] Id get() const { return id_; }
  void reset() {
    if (display_ != nullptr && id_ != 0) Destroy(display_, id_);
    display_ = nullptr;
    id_ = 0;
  }

 private:
  Display* display_{nullptr};
  Id id_{0};
};

inline void destroy_damage(Display* display, Damage damage) {
  XDamageDestroy(display, damage);
}
inline void destroy_region(Display* display, XserverRegion region) {
  XFixesDestroyRegion(display, region);
}
using DamageHandle = ServerResource<Damage, &destroy_damage>;
using RegionHandle = ServerResource<XserverRegion, &destroy_region>;

}  // namespace periscope::capture::x11
