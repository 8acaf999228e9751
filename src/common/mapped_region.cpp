#include "common/mapped_region.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/unique_fd.hpp"

namespace periscope {

namespace {

// The kvmfr module's "how big is the region" ioctl (KVMFR_DMABUF_GETSIZE, _IO('u', 0x44)).
constexpr unsigned long kKvmfrGetSize = _IO('u', 0x44);

// Files and PCI BAR resource files report their size in st_size. Devices report 0: /dev/kvmfr0
// answers an ioctl, other devices may say where SEEK_END lands.
Result<std::uint64_t> region_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno(errno, "stat " + path);
  if (S_ISREG(st.st_mode) && st.st_size > 0) return static_cast<std::uint64_t>(st.st_size);
  if (S_ISCHR(st.st_mode)) {
    const int size = ::ioctl(fd, kKvmfrGetSize);
    if (size > 0) return static_cast<std::uint64_t>(size);
  }
  const off_t end = ::lseek(fd, 0, SEEK_END);
  if (end > 0) return static_cast<std::uint64_t>(end);
  return fail(ErrorCode::kTooSmall, "{} has size 0 (is the IVSHMEM device set up?)", path);
}

}  // namespace

Result<MappedRegion> MappedRegion::open(const std::string& path, OpenOptions options) {
  int flags = (options.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  if (options.create_size_bytes > 0) flags |= O_CREAT;
  UniqueFd fd(::open(path.c_str(), flags, 0600));
  if (!fd) {
    if (errno == ENOENT) return fail(ErrorCode::kNotFound, "{} does not exist", path);
    return fail_errno(errno, "open " + path);
  }
  if (options.create_size_bytes > 0) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno(errno, "stat " + path);
    if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) < options.create_size_bytes &&
        ::ftruncate(fd.get(), static_cast<off_t>(options.create_size_bytes)) != 0) {
      return fail_errno(errno, "resize " + path);
    }
  }
  auto size = region_size(fd.get(), path);
  if (!size) return tl::unexpected(size.error());
  const int prot = PROT_READ | (options.writable ? PROT_WRITE : 0);
  void* data = ::mmap(nullptr, *size, prot, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED) return fail_errno(errno, "mmap " + path);
  return MappedRegion(static_cast<std::byte*>(data), *size, path);
}

Result<MappedRegion> MappedRegion::anonymous(std::size_t size_bytes) {
  void* data =
      ::mmap(nullptr, size_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) return fail_errno(errno, "mmap anonymous");
  return MappedRegion(static_cast<std::byte*>(data), size_bytes, "<anonymous>");
}

MappedRegion::MappedRegion(MappedRegion&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      path_(std::move(other.path_)) {}

MappedRegion& MappedRegion::operator=(MappedRegion&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedRegion::~MappedRegion() {
  reset();
}

void MappedRegion::reset() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace periscope
