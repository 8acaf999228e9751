#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "image/png_io.hpp"

namespace periscope::image {
namespace {

namespace fs = std::filesystem;

class ImagePng : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "periscope-image-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// Every byte value appears, including colour under zero alpha (which must survive: PNG
// stores straight alpha, and the simplified API must not premultiply 8-bit data).
RgbaImage test_image() {
  RgbaImage img;
  img.width = 7;
  img.height = 5;
  img.rgba.resize(7 * 5 * 4);
  std::uint32_t state = 12345;
  for (auto& b : img.rgba) {
    state = state * 1103515245U + 12345U;
    b = static_cast<std::uint8_t>(state >> 16);
  }
  img.set(0, 0, Rgba{255, 128, 1, 0});
  img.set(6, 4, Rgba{0, 0, 0, 255});
  return img;
}

TEST_F(ImagePng, WriteThenReadReturnsIdenticalBytes) {
  const RgbaImage img = test_image();
  const std::string file = path("shot.png");
  const Status written = write_png(file, img);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_FALSE(fs::exists(file + ".tmp"));

  const Result<RgbaImage> back = read_png(file);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->width, img.width);
  EXPECT_EQ(back->height, img.height);
  EXPECT_EQ(back->rgba, img.rgba);
}

TEST_F(ImagePng, OverwritesAnExistingFile) {
  const std::string file = path("shot.png");
  ASSERT_TRUE(write_png(file, RgbaImage::filled(3, 3, Rgba{1, 2, 3, 4})));
  ASSERT_TRUE(write_png(file, RgbaImage::filled(2, 1, Rgba{5, 6, 7, 8})));
  const Result<RgbaImage> back = read_png(file);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->width, 2U);
  EXPECT_EQ(back->at(1, 0), (Rgba{5, 6, 7, 8}));
}

TEST_F(ImagePng, MissingDirectoryIsAnError) {
  const std::string file = path("no/such/dir/shot.png");
  const Status written = write_png(file, test_image());
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIo);
  EXPECT_EQ(written.error().errno_value, ENOENT);
  EXPECT_NE(written.error().message.find(file), std::string::npos) << written.error().message;
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(ImagePng, InconsistentImageIsRefused) {
  RgbaImage bad;
  bad.width = 2;
  bad.height = 2;
  bad.rgba.resize(15);
  const std::string file = path("bad.png");
  const Status written = write_png(file, bad);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(write_png(file, RgbaImage{}));
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + ".tmp"));
}

TEST_F(ImagePng, ReadingMissingOrCorruptFilesFails) {
  const Result<RgbaImage> missing = read_png(path("missing.png"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value, ENOENT);

  const std::string junk = path("junk.png");
  std::ofstream(junk) << "this is not a PNG file at all";
  const Result<RgbaImage> corrupt = read_png(junk);
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message.find(junk), std::string::npos);

  // A valid PNG cut short: the header reads, the pixel data does not.
  const std::string full = path("full.png");
  ASSERT_TRUE(write_png(full, test_image()));
  fs::resize_file(full, fs::file_size(full) - 20);
  EXPECT_FALSE(read_png(full));
}

// read_png converts other PNG layouts: an 8-bit greyscale file comes back as opaque RGBA.
TEST_F(ImagePng, ReadsGreyscaleAsRgba) {
  const std::string file = path("grey.png");
  const std::vector<std::uint8_t> grey = {0, 100, 200, 255};
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = 2;
  png.height = 2;
  png.format = PNG_FORMAT_GRAY;
  ASSERT_NE(png_image_write_to_file(&png, file.c_str(), 0, grey.data(), 0, nullptr), 0)
      << png.message;

  const Result<RgbaImage> back = read_png(file);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->width, 2U);
  EXPECT_EQ(back->at(0, 0), (Rgba{0, 0, 0, 255}));
  EXPECT_EQ(back->at(1, 0), (Rgba{100, 100, 100, 255}));
  EXPECT_EQ(back->at(0, 1), (Rgba{200, 200, 200, 255}));
  EXPECT_EQ(back->at(1, 1), (Rgba{255, 255, 255, 255}));
}

}  // namespace
}  // namespace periscope::image
