// SHA-256 against the FIPS 180-2 / NIST vectors, and against coreutils' sha256sum for every
// length around the padding boundaries (55/56/63/64 bytes are where implementations break).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "setup/sha256.hpp"

namespace periscope::setup {
namespace {

TEST(Sha256, MatchesTheStandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklm"
                 "nopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

std::string sha256sum_of(const std::string& bytes) {
  const std::string path =
      std::filesystem::temp_directory_path() / ("periscope-sha256-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  std::string out;
  if (FILE* pipe = ::popen(("sha256sum " + path).c_str(), "r")) {
    char line[256] = {};
    if (std::fgets(line, sizeof line, pipe) != nullptr) out = std::string(line).substr(0, 64);
    ::pclose(pipe);
  }
  std::filesystem::remove(path);
  return out;
}

TEST(Sha256, AgreesWithSha256sumAcrossTheBlockBoundaries) {
  if (::access("/usr/bin/sha256sum", X_OK) != 0) GTEST_SKIP() << "no sha256sum";
  std::mt19937 random(5);
  for (std::size_t length = 0; length <= 200; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    EXPECT_EQ(sha256_hex(bytes), sha256sum_of(bytes)) << length << " bytes";
  }
}

TEST(Sha256, RecognisesOnlyLowerCaseDigests) {
  EXPECT_TRUE(is_sha256_hex(sha256_hex("x")));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace periscope::setup
