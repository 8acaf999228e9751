#include "setup/aml_encoding.hpp"

#include <cassert>
#include <cstddef>

namespace periscope::setup::aml {

namespace {

// Opcodes (ACPI 6.5, section 20.3).
constexpr std::uint8_t kZeroOp = 0x00;
constexpr std::uint8_t kOneOp = 0x01;
constexpr std::uint8_t kNameOp = 0x08;
constexpr std::uint8_t kBytePrefix = 0x0A;
constexpr std::uint8_t kWordPrefix = 0x0B;
constexpr std::uint8_t kDWordPrefix = 0x0C;
constexpr std::uint8_t kStringPrefix = 0x0D;
constexpr std::uint8_t kQWordPrefix = 0x0E;
constexpr std::uint8_t kScopeOp = 0x10;
constexpr std::uint8_t kPackageOp = 0x12;
constexpr std::uint8_t kMethodOp = 0x14;
constexpr std::uint8_t kDualNamePrefix = 0x2E;
constexpr std::uint8_t kMultiNamePrefix = 0x2F;
constexpr std::uint8_t kRootChar = 0x5C;
constexpr std::uint8_t kParentPrefixChar = 0x5E;
constexpr std::uint8_t kExtOpPrefix = 0x5B;
constexpr std::uint8_t kDeviceOp = 0x82;  // after kExtOpPrefix
constexpr std::uint8_t kReturnOp = 0xA4;
constexpr std::uint8_t kOnesOp = 0xFF;

constexpr std::size_t kNameSegBytes = 4;
constexpr std::size_t kTableHeaderBytes = 36;

void put_le(Bytes& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) {
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
}

// A fixed-width, NUL-padded ASCII field of the table header.
void put_padded(Bytes& out, std::string_view text, std::size_t width) {
  assert(text.size() <= width);
  for (std::size_t i = 0; i < width; ++i) {
    out.push_back(i < text.size() ? static_cast<std::uint8_t>(text[i]) : 0);
  }
}

void put_name_seg(Bytes& out, std::string_view segment) {
  assert(!segment.empty() && segment.size() <= kNameSegBytes);
  // NameSegs are padded with '_', not NUL.
  for (std::size_t i = 0; i < kNameSegBytes; ++i) {
    out.push_back(static_cast<std::uint8_t>(i < segment.size() ? segment[i] : '_'));
  }
}

}  // namespace

void append(Bytes& head, const Bytes& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
}

Bytes with_pkg_length(const Bytes& body) {
  // The encoded length includes the PkgLength bytes themselves, so pick the smallest width
  // whose total still fits: 6 bits in one byte, then 4 + 8 per extra byte.
  const std::size_t n = body.size();
  std::size_t extra = 0;
  if (n + 1 > 0x3F) extra = (n + 2 <= 0xFFF) ? 1 : (n + 3 <= 0xFFFFF) ? 2 : 3;
  const std::size_t total = n + 1 + extra;
  assert(total <= 0xFFFFFFF);
  Bytes out;
  if (extra == 0) {
    out.push_back(static_cast<std::uint8_t>(total));
  } else {
    out.push_back(static_cast<std::uint8_t>((extra << 6) | (total & 0x0F)));
    for (std::size_t i = 0; i < extra; ++i) {
      out.push_back(static_cast<std::uint8_t>(total >> (4 + 8 * i)));
    }
  }
  append(out, body);
  return out;
}

Bytes name_string(std::string_view path) {
  Bytes out;
  while (!path.empty() && (path.front() == '\\' || path.front() == '^')) {
    out.push_back(path.front() == '\\' ? kRootChar : kParentPrefixChar);
    path.remove_prefix(1);
  }
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const auto dot = path.find('.');
    segments.push_back(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  if (segments.empty()) {
    out.push_back(0x00);  // NullName
  } else if (segments.size() == 2) {
    out.push_back(kDualNamePrefix);
  } else if (segments.size() > 2) {
    out.push_back(kMultiNamePrefix);
    out.push_back(static_cast<std::uint8_t>(segments.size()));
  }
  for (const auto segment : segments) put_name_seg(out, segment);
  return out;
}

Bytes integer(std::uint64_t value) {
  if (value == 0) return {kZeroOp};
  if (value == 1) return {kOneOp};
  if (value == ~std::uint64_t{0}) return {kOnesOp};
  Bytes out;
  if (value <= 0xFF) {
    out.push_back(kBytePrefix);
    put_le(out, value, 1);
  } else if (value <= 0xFFFF) {
    out.push_back(kWordPrefix);
    put_le(out, value, 2);
  } else if (value <= 0xFFFFFFFF) {
    out.push_back(kDWordPrefix);
    put_le(out, value, 4);
  } else {
    out.push_back(kQWordPrefix);
    put_le(out, value, 8);
  }
  return out;
}

Bytes string(std::string_view text) {
  Bytes out;
  out.reserve(text.size() + 2);
  out.push_back(kStringPrefix);
  for (const char c : text) out.push_back(static_cast<std::uint8_t>(c));
  out.push_back(0x00);
  return out;
}

Bytes eisa_id(std::string_view id) {
  assert(id.size() == 7);
  const auto letter = [&](std::size_t i) {
    return static_cast<std::uint32_t>(id[i] - 0x40) & 0x1F;
  };
  const auto hex = [&](std::size_t i) {
    const char c = id[i];
    return static_cast<std::uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  };
  const std::uint32_t vendor = (letter(0) << 10) | (letter(1) << 5) | letter(2);
  const std::uint32_t product = (hex(3) << 12) | (hex(4) << 8) | (hex(5) << 4) | hex(6);
  // The ID is defined as big-endian bytes; AML stores DWords little-endian.
  return {kDWordPrefix, static_cast<std::uint8_t>(vendor >> 8), static_cast<std::uint8_t>(vendor),
          static_cast<std::uint8_t>(product >> 8), static_cast<std::uint8_t>(product)};
}

Bytes name(std::string_view path, const Bytes& value) {
  Bytes out{kNameOp};
  append(out, name_string(path));
  append(out, value);
  return out;
}

Bytes package(const std::vector<Bytes>& elements) {
  assert(elements.size() <= 0xFF);
  Bytes body{static_cast<std::uint8_t>(elements.size())};
  for (const auto& element : elements) append(body, element);
  Bytes out{kPackageOp};
  append(out, with_pkg_length(body));
  return out;
}

Bytes method(std::string_view path, std::uint8_t arg_count, const Bytes& body) {
  assert(arg_count <= 7);
  Bytes inner = name_string(path);
  inner.push_back(arg_count);  // flags: bits 0-2 ArgCount; NotSerialized, SyncLevel 0
  append(inner, body);
  Bytes out{kMethodOp};
  append(out, with_pkg_length(inner));
  return out;
}

Bytes return_value(const Bytes& value) {
  Bytes out{kReturnOp};
  append(out, value);
  return out;
}

Bytes device(std::string_view path, const Bytes& body) {
  Bytes inner = name_string(path);
  append(inner, body);
  Bytes out{kExtOpPrefix, kDeviceOp};
  append(out, with_pkg_length(inner));
  return out;
}

Bytes scope(std::string_view path, const Bytes& body) {
  Bytes inner = name_string(path);
  append(inner, body);
  Bytes out{kScopeOp};
  append(out, with_pkg_length(inner));
  return out;
}

Bytes definition_block(const TableHeader& header, const Bytes& body) {
  assert(header.signature.size() == 4 && header.creator_id.size() == 4);
  Bytes out;
  out.reserve(kTableHeaderBytes + body.size());
  put_padded(out, header.signature, 4);
  put_le(out, kTableHeaderBytes + body.size(), 4);
  out.push_back(header.revision);
  out.push_back(0);  // checksum, filled in below
  put_padded(out, header.oem_id, 6);
  put_padded(out, header.oem_table_id, 8);
  put_le(out, header.oem_revision, 4);
  put_padded(out, header.creator_id, 4);
  put_le(out, header.creator_revision, 4);
  append(out, body);
  std::uint8_t sum = 0;
  for (const std::uint8_t byte : out) sum = static_cast<std::uint8_t>(sum + byte);
  out[9] = static_cast<std::uint8_t>(0x100 - sum);
  return out;
}

}  // namespace periscope::setup::aml
