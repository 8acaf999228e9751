#pragma once
// An owning shared mapping of a whole file or device: a /dev/shm file, /dev/kvmfr0, or a guest
// PCI BAR (`/sys/bus/pci/devices/<bdf>/resource2`). The same code maps all three.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/result.hpp"

namespace periscope {

class MappedRegion {
 public:
  struct OpenOptions {
    bool writable{true};
    // When non-zero and the path is missing or a smaller regular file, create/grow it to this
    // many bytes (used by tests, the demo and the benchmark; never for devices).
    std::uint64_t create_size_bytes{0};
  };

  static Result<MappedRegion> open(const std::string& path, OpenOptions options);
  // An anonymous private mapping (tests, fuzzing).
  static Result<MappedRegion> anonymous(std::size_t size_bytes);

  MappedRegion() = default;
  MappedRegion(MappedRegion&& other) noexcept;
  MappedRegion& operator=(MappedRegion&& other) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  ~MappedRegion();

  [[nodiscard]] std::byte* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::span<std::byte> bytes() const { return {data_, size_}; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  MappedRegion(std::byte* data, std::size_t size, std::string path)
      : data_(data), size_(size), path_(std::move(path)) {}
  void reset();

  std::byte* data_{nullptr};
  std::size_t size_{0};
  std::string path_;
};

}  // namespace periscope
