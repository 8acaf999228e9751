// The config file: its keys are the long option names, the command line wins, typos are errors.
#include <gtest/gtest.h>

#include <fstream>

#include "process_helpers.hpp"

namespace periscope::testing {
namespace {

using std::chrono::seconds;

TEST(ConfigFile, KeysAreTheOptionNamesAndTheCommandLineWins) {
  TempPath shm("config");
  shm.resize(32 * 1024 * 1024);
  TempPath config("config.toml", "/tmp");
  TempPath stats("config.json", "/tmp");
  std::ofstream(config.str()) << "[view]\nshm = \"" << shm.str()
                              << "\"\nheadless = true\nseconds = 30\nreport-interval = 0\n"
                              << "stats-json = \"" << stats.str() << "\"\n";
  const TimePoint start = Clock::now();
  const auto r =
      run({bin("periscope"), "--config", config.str(), "view", "--seconds", "0.3"}, seconds(20));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LT(Clock::now() - start, seconds(10)) << "--seconds on the command line wins";
  const auto json = read_json(stats.str());  // written because the file said so
  EXPECT_NEAR(json["duration_s"].get<double>(), 0.3, 0.25);
}

TEST(ConfigFile, AnUnknownKeyIsAnError) {
  TempPath config("typo.toml", "/tmp");
  std::ofstream(config.str()) << "[view]\nheadles = true\n";
  const auto r = run({bin("periscope"), "--config", config.str(), "view", "--headless", "--shm",
                      "/dev/shm/none", "--seconds", "0.1"},
                     seconds(20));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("headles"), std::string::npos) << r.output;
}

TEST(ConfigFile, AMissingDefaultFileIsFine) {
  TempPath home("home", "/tmp");
  std::filesystem::create_directories(home.str());
  TempPath shm("config-default");
  shm.resize(32 * 1024 * 1024);
  // XDG_CONFIG_HOME points at an empty directory: no file, defaults apply.
  const auto r =
      run({"/usr/bin/env", "XDG_CONFIG_HOME=" + home.str(), bin("periscope"), "view", "--headless",
           "--shm", shm.str(), "--seconds", "0.1", "--report-interval", "0"},
          seconds(20));
  EXPECT_EQ(r.status, 0) << r.output;
  std::filesystem::remove_all(home.str());
}

}  // namespace
}  // namespace periscope::testing
