// The fake-battery SSDT: byte-identical to iasl 20200925's output for guide 004's battery.dsl
// (setup-facts.md section 4.3), and the AML encodings it is built from.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

#include "setup/aml_battery.hpp"
#include "setup/aml_encoding.hpp"

namespace periscope::setup {
namespace {

using Bytes = std::vector<std::uint8_t>;

// setup-facts.md section 4.3, verified there against iasl 20200925.
constexpr std::array<std::uint8_t, 221> kIaslBytes = {
    0x53, 0x53, 0x44, 0x54, 0xdd, 0x00, 0x00, 0x00, 0x02, 0x7e, 0x52, 0x65, 0x64, 0x48, 0x61, 0x74,
    0x42, 0x61, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x49, 0x4e, 0x54, 0x4c,
    0x25, 0x09, 0x20, 0x20, 0x10, 0x48, 0x0b, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x34, 0x41,
    0x44, 0x50, 0x31, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x41, 0x43, 0x50, 0x49, 0x30, 0x30, 0x30,
    0x33, 0x00, 0x08, 0x5f, 0x50, 0x43, 0x4c, 0x12, 0x07, 0x01, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x14,
    0x08, 0x5f, 0x50, 0x53, 0x52, 0x00, 0xa4, 0x01, 0x14, 0x09, 0x5f, 0x53, 0x54, 0x41, 0x00, 0xa4,
    0x0a, 0x0f, 0x5b, 0x82, 0x49, 0x07, 0x42, 0x41, 0x54, 0x30, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c,
    0x41, 0xd0, 0x0c, 0x0a, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00, 0x08, 0x5f, 0x50, 0x43, 0x4c, 0x12,
    0x07, 0x01, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x14, 0x09, 0x5f, 0x53, 0x54, 0x41, 0x00, 0xa4, 0x0a,
    0x1f, 0x14, 0x38, 0x5f, 0x42, 0x49, 0x46, 0x00, 0xa4, 0x12, 0x30, 0x0d, 0x00, 0x0b, 0x10, 0x27,
    0x0b, 0x10, 0x27, 0x01, 0x0b, 0x10, 0x27, 0x0b, 0xf4, 0x01, 0x0a, 0x64, 0x00, 0x00, 0x0d, 0x42,
    0x41, 0x54, 0x30, 0x00, 0x0d, 0x31, 0x32, 0x33, 0x34, 0x35, 0x00, 0x0d, 0x4c, 0x49, 0x4f, 0x4e,
    0x00, 0x0d, 0x56, 0x69, 0x72, 0x74, 0x75, 0x61, 0x6c, 0x00, 0x14, 0x12, 0x5f, 0x42, 0x53, 0x54,
    0x00, 0xa4, 0x12, 0x0a, 0x04, 0x00, 0x00, 0x0b, 0x10, 0x27, 0x0b, 0x10, 0x27,
};

TEST(AmlBattery, IsByteIdenticalToIasl) {
  const auto table = fake_battery_ssdt();
  ASSERT_EQ(table.size(), kIaslBytes.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    ASSERT_EQ(table[i], kIaslBytes[i]) << "first difference at offset " << i;
  }
}

TEST(AmlBattery, HeaderLengthAndChecksumAreRight) {
  const auto table = fake_battery_ssdt();
  ASSERT_GE(table.size(), 36u);
  const std::uint32_t length =
      table[4] | (table[5] << 8) | (table[6] << 16) | (static_cast<std::uint32_t>(table[7]) << 24);
  EXPECT_EQ(length, table.size());
  const auto sum = std::accumulate(table.begin(), table.end(), 0u);
  EXPECT_EQ(sum % 256, 0u) << "an ACPI table's bytes must sum to 0 mod 256";
}

TEST(AmlEncoding, PkgLengthCountsItselfAndGrowsWhenNeeded) {
  // Totals from setup-facts.md 4.2: 0xB8 -> 48 0B, 0x79 -> 49 07, 0x6C -> 4C 06, 0x5F -> 4F 05.
  const auto lead = [](std::size_t body) {
    const auto out = aml::with_pkg_length(Bytes(body, 0xAA));
    return Bytes(out.begin(), out.end() - static_cast<std::ptrdiff_t>(body));
  };
  EXPECT_EQ(lead(0xB8 - 2), (Bytes{0x48, 0x0B}));
  EXPECT_EQ(lead(0x79 - 2), (Bytes{0x49, 0x07}));
  EXPECT_EQ(lead(0x6C - 2), (Bytes{0x4C, 0x06}));
  EXPECT_EQ(lead(0x5F - 2), (Bytes{0x4F, 0x05}));
  EXPECT_EQ(lead(0x3E), (Bytes{0x3F}));               // 0x3F total: the largest one-byte length
  EXPECT_EQ(lead(0x3F), (Bytes{0x41, 0x04}));         // 0x41 total needs two bytes
  EXPECT_EQ(lead(0xFFD), (Bytes{0x4F, 0xFF}));        // 0xFFF total: the largest two-byte length
  EXPECT_EQ(lead(0xFFE), (Bytes{0x81, 0x00, 0x01}));  // 0x1001 total needs three bytes
}

TEST(AmlEncoding, IntegersTakeTheSmallestEncoding) {
  EXPECT_EQ(aml::integer(0), (Bytes{0x00}));
  EXPECT_EQ(aml::integer(1), (Bytes{0x01}));
  EXPECT_EQ(aml::integer(~std::uint64_t{0}), (Bytes{0xFF}));
  EXPECT_EQ(aml::integer(0x0F), (Bytes{0x0A, 0x0F}));
  EXPECT_EQ(aml::integer(0xFF), (Bytes{0x0A, 0xFF}));
  EXPECT_EQ(aml::integer(0x2710), (Bytes{0x0B, 0x10, 0x27}));
  EXPECT_EQ(aml::integer(0x12345678), (Bytes{0x0C, 0x78, 0x56, 0x34, 0x12}));
  EXPECT_EQ(aml::integer(0x100000000), (Bytes{0x0E, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST(AmlEncoding, NamesStringsAndEisaIds) {
  EXPECT_EQ(aml::name_string("\\_SB"), (Bytes{0x5C, '_', 'S', 'B', '_'}));
  EXPECT_EQ(aml::name_string("BAT0"), (Bytes{'B', 'A', 'T', '0'}));
  EXPECT_EQ(aml::name_string("\\_SB.PCI0"),
            (Bytes{0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}));
  EXPECT_EQ(aml::name_string("^^A.B.C"), (Bytes{0x5E, 0x5E, 0x2F, 3, 'A', '_', '_', '_', 'B', '_',
                                                '_', '_', 'C', '_', '_', '_'}));
  EXPECT_EQ(aml::name_string("\\"), (Bytes{0x5C, 0x00}));
  EXPECT_EQ(aml::string(""), (Bytes{0x0D, 0x00}));
  EXPECT_EQ(aml::string("LION"), (Bytes{0x0D, 'L', 'I', 'O', 'N', 0x00}));
  EXPECT_EQ(aml::eisa_id("PNP0C0A"), (Bytes{0x0C, 0x41, 0xD0, 0x0C, 0x0A}));
  EXPECT_EQ(aml::eisa_id("PNP0A08"), (Bytes{0x0C, 0x41, 0xD0, 0x0A, 0x08}));
}

TEST(AmlEncoding, MethodsDevicesAndPackages) {
  // Method(_PSR, 0, NotSerialized){Return(One)} from the reference bytes.
  EXPECT_EQ(aml::method("_PSR", 0, aml::return_value(aml::integer(1))),
            (Bytes{0x14, 0x08, '_', 'P', 'S', 'R', 0x00, 0xA4, 0x01}));
  EXPECT_EQ(aml::method("XY", 2, {}), (Bytes{0x14, 0x06, 'X', 'Y', '_', '_', 0x02}));
  EXPECT_EQ(aml::package({aml::name_string("\\_SB")}),
            (Bytes{0x12, 0x07, 0x01, 0x5C, '_', 'S', 'B', '_'}));
  EXPECT_EQ(aml::device("DEV0", {}), (Bytes{0x5B, 0x82, 0x05, 'D', 'E', 'V', '0'}));
  EXPECT_EQ(aml::scope("\\", {}), (Bytes{0x10, 0x03, 0x5C, 0x00}));
}

TEST(AmlEncoding, DefinitionBlockFillsLengthAndChecksum) {
  const auto table = aml::definition_block({.signature = "SSDT",
                                            .revision = 1,
                                            .oem_id = "BOCHS",
                                            .oem_table_id = "BXPCSSDT",
                                            .oem_revision = 1,
                                            .creator_id = "INTL",
                                            .creator_revision = 0x20191018},
                                           Bytes{0xA0, 0x03, 0x00});
  ASSERT_EQ(table.size(), 39u);
  EXPECT_EQ(table[4], 39);
  EXPECT_EQ(table[8], 1);
  EXPECT_EQ(Bytes(table.begin() + 10, table.begin() + 16), (Bytes{'B', 'O', 'C', 'H', 'S', 0}));
  EXPECT_EQ(Bytes(table.begin() + 16, table.begin() + 24),
            (Bytes{'B', 'X', 'P', 'C', 'S', 'S', 'D', 'T'}));
  EXPECT_EQ(Bytes(table.begin() + 32, table.begin() + 36), (Bytes{0x18, 0x10, 0x19, 0x20}));
  EXPECT_EQ(std::accumulate(table.begin(), table.end(), 0u) % 256, 0u);
}

}  // namespace
}  // namespace periscope::setup
