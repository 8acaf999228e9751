// validate_frame and parse_kvmfr_udata refuse what a hostile guest can write.
#include <gtest/gtest.h>

#include <cstring>

#include "relay/frame_info.hpp"
#include "relay/kvmfr_udata.hpp"

namespace periscope::b7 {
namespace {

constexpr std::uint64_t kRegion = 32 * 1024 * 1024;

KvmfrFrame good_frame() {
  KvmfrFrame f{};
  f.type = static_cast<std::uint32_t>(FrameType::kBgra);
  f.screen_width = f.data_width = f.frame_width = 1920;
  f.screen_height = f.data_height = f.frame_height = 1080;
  f.stride = 1920;
  f.pitch = 1920 * 4;
  f.offset = kFrameBufferOffset;
  return f;
}

TEST(FrameValidation, AcceptsAB7Frame) {
  auto info = validate_frame(good_frame(), 1 << 20, kRegion);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->data_offset, (1u << 20) + 4096);
  EXPECT_EQ(info->data_bytes, 1920ull * 4 * 1080);
  EXPECT_TRUE(info->full_damage);
}

TEST(FrameValidation, RefusesDataPastTheRegion) {
  auto f = good_frame();
  f.offset = 0xFFFFFFFF;  // would wrap in 32 bits
  EXPECT_FALSE(validate_frame(f, 0xFFFFFF00, kRegion));
  f = good_frame();
  f.data_height = 16384;
  f.pitch = 0x40000;  // 4 GiB in total
  EXPECT_FALSE(validate_frame(f, 0, kRegion));
  f = good_frame();
  EXPECT_FALSE(validate_frame(f, kRegion - 1000, kRegion)) << "ends past the mapping";
}

TEST(FrameValidation, RefusesImpossibleGeometry) {
  for (auto mutate : std::initializer_list<void (*)(KvmfrFrame&)>{
           [](KvmfrFrame& f) { f.type = 0; }, [](KvmfrFrame& f) { f.type = 7; },
           [](KvmfrFrame& f) { f.data_width = 0; }, [](KvmfrFrame& f) { f.frame_height = 100000; },
           [](KvmfrFrame& f) { f.pitch = 100; },         // shorter than a row
           [](KvmfrFrame& f) { f.frame_width = 4000; },  // wider than the stored texels
           [](KvmfrFrame& f) { f.rotation = 4; },
           [](KvmfrFrame& f) { f.offset = 4093; }}) {  // misaligned write pointer
    auto f = good_frame();
    mutate(f);
    EXPECT_FALSE(validate_frame(f, 0, kRegion));
  }
}

TEST(FrameValidation, ClampsDamage) {
  auto f = good_frame();
  f.damage_rects_count = 0xFFFFFFFF;
  auto info = validate_frame(f, 0, kRegion);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->full_damage) << "an impossible count means everything changed";

  f.damage_rects_count = 3;
  f.damage_rects[0] = {1900, 1070, 100, 100};    // hangs over the corner
  f.damage_rects[1] = {5000, 10, 10, 10};        // wholly outside
  f.damage_rects[2] = {0xFFFFFFF0, 0, 0x20, 1};  // x + width wraps
  info = validate_frame(f, 0, kRegion);
  ASSERT_TRUE(info);
  ASSERT_EQ(info->damage_count, 1U);
  EXPECT_EQ(info->damage[0].width, 20U);
  EXPECT_EQ(info->damage[0].height, 10U);
}

TEST(FrameValidation, PackedDamageIsInTexels) {
  auto f = good_frame();
  f.type = static_cast<std::uint32_t>(FrameType::kRgb24);
  f.data_width = 1440;  // 1920 * 3 / 4
  f.pitch = 1440 * 4;
  f.damage_rects_count = 1;
  f.damage_rects[0] = {4, 0, 4, 1};  // pixels 4..7 = bytes 12..23 = texels 3..5
  auto info = validate_frame(f, 0, kRegion);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->damage[0].x, 3U);
  EXPECT_EQ(info->damage[0].width, 3U);
}

TEST(KvmfrUdata, RoundTripsRecords) {
  KvmfrInfo info;
  info.hostver = "B7";
  info.features = kKvmfrFeatureSetCursorPos;
  info.vm = VmInfo{{1, 2, 3}, "DXGI", 8, 4, 1, "Intel(R) Core(TM) i7"};
  info.os = OsInfo{OsType::kWindows, "Windows 11"};
  auto parsed = parse_kvmfr_udata(build_kvmfr_udata(info));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->hostver, "B7");
  EXPECT_EQ(parsed->vm->capture, "DXGI");
  EXPECT_EQ(parsed->vm->cpu_model, "Intel(R) Core(TM) i7");
  EXPECT_EQ(parsed->os->os, OsType::kWindows);
  EXPECT_EQ(parsed->os->name, "Windows 11");
}

TEST(KvmfrUdata, BoundsStringsAndRecords) {
  KvmfrInfo info;
  info.vm = VmInfo{};
  info.os = OsInfo{OsType::kLinux, "Debian"};
  auto bytes = build_kvmfr_udata(info);
  // hostver without its NUL, capture without its NUL, the OS name cut off mid-string.
  std::memset(bytes.data() + 12, 'A', 32);
  std::memset(bytes.data() + 48 + 8 + 16, 'B', 32);
  bytes.pop_back();  // the OS record's NUL
  bytes.pop_back();  // and its last letter: the record now runs past the end
  auto parsed = parse_kvmfr_udata(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->hostver, std::string(32, 'A'));
  EXPECT_EQ(parsed->vm->capture, std::string(32, 'B'));
  EXPECT_FALSE(parsed->os) << "a record that runs past udataSize is not read";

  auto wrong = build_kvmfr_udata(info);
  wrong[8] = std::byte{19};  // B6
  auto refused = parse_kvmfr_udata(wrong);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kVersionMismatch);
  EXPECT_NE(refused.error().message.find("19"), std::string::npos);
  EXPECT_NE(refused.error().message.find("20"), std::string::npos);
}

}  // namespace
}  // namespace periscope::b7
