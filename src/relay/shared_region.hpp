#pragma once
// A non-owning view of the shared mapping with the only ways we touch it:
//  - copy_out: bounds-checked copy of a struct into private memory (then validate the copy),
//  - atomic32/atomic64: a std::atomic_ref to a field at a checked, aligned offset,
//  - span: a checked byte range (pixel data only; any byte value is a valid pixel).
// Every check uses 64-bit arithmetic on offsets that came from the guest, so no sum can wrap.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace periscope {

class SharedRegion {
 public:
  SharedRegion() = default;
  SharedRegion(std::byte* base, std::size_t size) : base_(base), size_(size) {}
  explicit SharedRegion(std::span<std::byte> bytes) : base_(bytes.data()), size_(bytes.size()) {}

  [[nodiscard]] std::byte* base() const { return base_; }
  [[nodiscard]] std::size_t size() const { return size_; }

  // True when [offset, offset + length) lies inside the mapping.
  [[nodiscard]] bool contains(std::uint64_t offset, std::uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

  template <typename T>
  [[nodiscard]] bool copy_out(std::uint64_t offset, T& out) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return false;
    std::memcpy(&out, base_ + offset, sizeof(T));
    return true;
  }

  template <typename T>
  [[nodiscard]] std::optional<T> read(std::uint64_t offset) const {
    T value;
    if (!copy_out(offset, value)) return std::nullopt;
    return value;
  }

  template <typename T>
  bool copy_in(std::uint64_t offset, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return false;
    std::memcpy(base_ + offset, &value, sizeof(T));
    return true;
  }

  [[nodiscard]] std::optional<std::span<std::byte>> span(std::uint64_t offset,
                                                         std::uint64_t length) const {
    if (!contains(offset, length)) return std::nullopt;
    return std::span<std::byte>(base_ + offset, static_cast<std::size_t>(length));
  }

  // An atomic view of a 32/64-bit field. The offset must be in bounds and naturally aligned;
  // callers pass offsets they already validated, so a failure here is a programming error
  // answered with nullopt rather than a crash.
  template <typename T>
  [[nodiscard]] std::optional<std::atomic_ref<T>> atomic(std::uint64_t offset) const {
    static_assert(std::is_integral_v<T>);
    if (!contains(offset, sizeof(T)) || offset % alignof(T) != 0) return std::nullopt;
    return std::atomic_ref<T>(*reinterpret_cast<T*>(base_ + offset));
  }

 private:
  std::byte* base_{nullptr};
  std::size_t size_{0};
};

// Field access for structures at offsets we fixed ourselves (the LGMP header at 0): the
// caller guarantees the structure is in bounds, so these return the atomic_ref directly.
template <typename T>
std::atomic_ref<T> shared_field(T& field) {
  return std::atomic_ref<T>(field);
}

}  // namespace periscope
