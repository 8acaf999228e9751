#include "capture/ivshmem_discovery.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "capture/fbdev_source.hpp"

namespace periscope::capture {
namespace {

namespace fs = std::filesystem;

// A sysfs-shaped tree: what the agent reads in a guest, written out for the test.
class FakeSysfs {
 public:
  FakeSysfs() {
    char name[] = "/tmp/periscope-sysfs-XXXXXX";
    root_ = ::mkdtemp(name);
  }
  ~FakeSysfs() { fs::remove_all(root_); }
  void add(const std::string& address, const std::string& vendor, const std::string& device,
           std::uint64_t bar2_bytes) {
    const fs::path dir = root_ / "bus/pci/devices" / address;
    fs::create_directories(dir);
    std::ofstream(dir / "vendor") << vendor << "\n";
    std::ofstream(dir / "device") << device << "\n";
    std::ofstream(dir / "resource2").close();
    fs::resize_file(dir / "resource2", bar2_bytes);
  }
  [[nodiscard]] const fs::path& root() const { return root_; }

 private:
  fs::path root_;
};

TEST(IvshmemDiscovery, FindsOnlyIvshmemDevicesWithTheirBarSize) {
  FakeSysfs sys;
  sys.add("0000:00:01.0", "0x1234", "0x1111", 16u << 20);  // the VGA card
  sys.add("0000:00:03.0", "0x1af4", "0x1110", 32u << 20);
  sys.add("0000:00:04.0", "0x1af4", "0x1000", 4096);  // virtio-net, same vendor
  const auto devices = find_ivshmem_devices(sys.root());
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].address, "0000:00:03.0");
  EXPECT_EQ(devices[0].size_bytes, 32u << 20);
  EXPECT_EQ(devices[0].bar_path, (sys.root() / "bus/pci/devices/0000:00:03.0/resource2").string());
}

TEST(IvshmemDiscovery, PicksTheLargestUnlessOneIsNamed) {
  FakeSysfs sys;
  sys.add("0000:00:05.0", "0x1af4", "0x1110", 2u << 20);  // Scream's audio ring
  sys.add("0000:00:06.0", "0x1af4", "0x1110", 64u << 20);
  const auto devices = find_ivshmem_devices(sys.root());
  const auto no_kvmfr = sys.root() / "no-kvmfr";
  auto largest = choose_shared_memory(devices, std::nullopt, no_kvmfr);
  ASSERT_TRUE(largest);
  EXPECT_NE(largest->path.find("0000:00:06.0"), std::string::npos);
  auto named = choose_shared_memory(devices, std::string("00:05.0"), no_kvmfr);
  ASSERT_TRUE(named);
  EXPECT_NE(named->path.find("0000:00:05.0"), std::string::npos);
  auto missing = choose_shared_memory(devices, std::string("0000:00:09.0"), no_kvmfr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(IvshmemDiscovery, KvmfrDeviceWinsAndNoDeviceSaysWhatToAdd) {
  FakeSysfs sys;
  const auto kvmfr = sys.root() / "kvmfr0";
  std::ofstream(kvmfr).close();
  auto chosen = choose_shared_memory({}, std::nullopt, kvmfr);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->path, kvmfr.string());

  auto none = choose_shared_memory({}, std::nullopt, sys.root() / "absent");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("ivshmem-plain"), std::string::npos);
}

TEST(FbdevMode, MapsXrgbLayoutsAndRejectsTheRest) {
  FbdevMode mode{.width = 1024,
                 .height = 768,
                 .bits_per_pixel = 32,
                 .line_length_bytes = 4096,
                 .red_offset = 16,
                 .green_offset = 8,
                 .blue_offset = 0,
                 .y_offset = 0,
                 .memory_bytes = 16u << 20};
  EXPECT_EQ(frame_type_for(mode), b7::FrameType::kBgra);
  mode.red_offset = 0;
  mode.blue_offset = 16;
  EXPECT_EQ(frame_type_for(mode), b7::FrameType::kRgba);
  auto sixteen = mode;
  sixteen.bits_per_pixel = 16;
  EXPECT_FALSE(frame_type_for(sixteen));
  auto short_memory = mode;  // a hostile driver's numbers: the picture would overrun the map
  short_memory.memory_bytes = 4096 * 767;
  EXPECT_FALSE(frame_type_for(short_memory));
  auto narrow = mode;
  narrow.line_length_bytes = 1000;
  EXPECT_FALSE(frame_type_for(narrow));
  auto panned = mode;
  panned.y_offset = 4096;  // (4096 + 768) rows of 4096 bytes > 16 MiB
  EXPECT_FALSE(frame_type_for(panned));
}

}  // namespace
}  // namespace periscope::capture
