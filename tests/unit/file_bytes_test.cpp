// Capped whole-file reads and atomic writes (common/file_bytes).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/file_bytes.hpp"

namespace periscope {
namespace {

namespace fs = std::filesystem;

class FileBytes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("periscope-file-bytes-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileBytes, WritesAtomicallyWithTheModeAndReadsBack) {
  const std::string path = (dir_ / "out.bin").string();
  std::ofstream(path) << "old contents that are longer";
  const std::vector<std::uint8_t> data{1, 2, 3, 0, 255};
  ASSERT_TRUE(write_file_atomic(path, data, 0644));
  auto back = read_file_bytes(path, 100);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, data);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1)
      << "no temp file left behind";
}

TEST_F(FileBytes, ReadRefusesFilesOverTheCap) {
  const std::string path = (dir_ / "big.bin").string();
  ASSERT_TRUE(write_file_atomic(path, std::vector<std::uint8_t>(1000, 7)));
  EXPECT_TRUE(read_file_bytes(path, 1000));
  auto too_big = read_file_bytes(path, 999);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find("larger than 999 bytes"), std::string::npos);
}

TEST_F(FileBytes, ErrorsNameThePath) {
  auto missing = read_file_bytes((dir_ / "missing").string(), 10);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing: No such file"), std::string::npos);
  auto directory = read_file_bytes(dir_.string(), 10);
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("is a directory"), std::string::npos);
  auto unwritable = write_file_atomic((dir_ / "no" / "such" / "dir").string(), {});
  ASSERT_FALSE(unwritable);
  EXPECT_NE(unwritable.error().message.find("no/such/dir"), std::string::npos);
}

}  // namespace
}  // namespace periscope
