#include "relay/post_clock.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace periscope {
namespace {

TEST(PostClock, WriterAndReaderAgreeBySerial) {
  const std::string path = "/tmp/periscope-post-clock-test-" + std::to_string(::getpid());
  auto writer = PostClock::create(path);
  ASSERT_TRUE(writer) << writer.error().message;
  auto reader = PostClock::open(path);
  ASSERT_TRUE(reader) << reader.error().message;
  const TimePoint t = Clock::now();
  writer->record(41, t);
  writer->record(42, t + Milliseconds(1));
  EXPECT_EQ(reader->lookup(41), t);
  EXPECT_EQ(reader->lookup(42), t + Milliseconds(1));
  EXPECT_FALSE(reader->lookup(43));
  // 256 serials later the slot holds another frame: the old serial is not mistaken for it.
  writer->record(41 + PostClock::kEntries, t);
  EXPECT_FALSE(reader->lookup(41));
  std::filesystem::remove(path);
  EXPECT_FALSE(PostClock::open(path));
}

}  // namespace
}  // namespace periscope
