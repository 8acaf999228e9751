// `periscope shm-size`: the B7 rule's sizes (setup-facts.md section 6) and the kvmfr size that
// must equal QEMU's object size.
#include <gtest/gtest.h>

#include <string>

#include "setup/shm_size.hpp"

namespace periscope::setup {
namespace {

struct Row {
  const char* resolution;
  std::uint64_t sdr_mib;
  std::uint64_t hdr_mib;
};

// The "B6/B7 SDR" and "B6/B7 HDR" columns of the computed table in setup-facts.md section 6.
constexpr Row kTable[] = {
    {"1280x720", 32, 32},    {"1366x768", 32, 32},    {"1600x900", 32, 32},
    {"1920x1080", 32, 64},   {"1920x1200", 32, 64},   {"2560x1080", 32, 64},
    {"2560x1440", 64, 128},  {"2560x1600", 64, 128},  {"3440x1440", 64, 128},
    {"2880x1800", 64, 128},  {"3840x1600", 64, 128},  {"3840x2160", 128, 256},
    {"5120x1440", 128, 128}, {"5120x2880", 128, 256}, {"7680x4320", 512, 1024},
};

TEST(ShmSize, MatchesTheSpecTable) {
  for (const auto& row : kTable) {
    SCOPED_TRACE(row.resolution);
    auto sdr = shm_size_for(row.resolution, false);
    auto hdr = shm_size_for(row.resolution, true);
    ASSERT_TRUE(sdr && hdr);
    EXPECT_EQ(sdr->region_mib, row.sdr_mib);
    EXPECT_EQ(hdr->region_mib, row.hdr_mib);
    EXPECT_EQ(sdr->region_bytes, row.sdr_mib * 1024 * 1024);
    EXPECT_EQ(sdr->bytes_per_pixel, 4u);
    EXPECT_EQ(hdr->bytes_per_pixel, 8u);
  }
}

TEST(ShmSize, KvmfrStaticSizeRoundTripsToTheQemuObjectSize) {
  for (const auto& row : kTable) {
    for (const bool hdr : {false, true}) {
      const auto size = shm_size_for(row.resolution, hdr);
      ASSERT_TRUE(size);
      EXPECT_EQ(size->kvmfr_static_size_mb * 1048576, size->region_bytes) << row.resolution;
      EXPECT_EQ(size->qemu_object_size_bytes, size->region_bytes) << row.resolution;
    }
  }
}

TEST(ShmSize, RefusesBadResolutions) {
  for (const char* bad :
       {"", "1920", "1920x", "x1080", "0x1080", "1920x0", "abcxdef", "99999x10"}) {
    auto size = shm_size_for(bad, false);
    ASSERT_FALSE(size) << bad;
    EXPECT_NE(size.error().message.find("expected WIDTHxHEIGHT"), std::string::npos);
  }
}

TEST(ShmSize, TextAndJsonCarryTheNumbers) {
  const auto size = shm_size_for("1920x1080", false);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->frame_bytes, 1920u * 1080 * 4);
  const std::string text = shm_size_text(*size);
  EXPECT_NE(text.find("1920x1080 SDR: 32 MiB (33554432 bytes)"), std::string::npos) << text;
  EXPECT_NE(text.find("15.82 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("<size unit='M'>32</size>"), std::string::npos) << text;
  EXPECT_NE(text.find("options kvmfr static_size_mb=32"), std::string::npos) << text;
  const auto json = shm_size_json(*size);
  EXPECT_EQ(json["region_bytes"], 33554432);
  EXPECT_EQ(json["kvmfr_static_size_mb"], 32);
  EXPECT_EQ(json["qemu_object_size_bytes"], 33554432);
  EXPECT_EQ(json["hdr"], false);
  EXPECT_EQ(json["width"], 1920);
}

}  // namespace
}  // namespace periscope::setup
