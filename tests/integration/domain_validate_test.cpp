// Every domain the generator makes (the golden files of tests/golden/domain, which the unit
// test keeps equal to the generator's output) passes libvirt's own schema check,
// `virt-xml-validate FILE domain` (Debian libvirt-clients: xmllint against
// /usr/share/libvirt/schemas/domain.rng, no daemon needed) — and a broken one does not, so the
// check is known to look.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "process_helpers.hpp"

namespace periscope {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = fs::path(__FILE__).parent_path().parent_path() / "golden" / "domain";

bool have_validator() {
  return fs::exists("/usr/bin/virt-xml-validate") &&
         fs::exists("/usr/share/libvirt/schemas/domain.rng");
}

testing::RunResult validate(const std::string& path) {
  return testing::run({"/usr/bin/virt-xml-validate", path, "domain"}, Milliseconds(30000));
}

std::vector<fs::path> golden_domains() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.path().extension() == ".xml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(DomainValidate, EveryGeneratedVariantPassesLibvirtsSchema) {
  if (!have_validator()) GTEST_SKIP() << "virt-xml-validate (Debian libvirt-clients) not installed";
  const auto files = golden_domains();
  ASSERT_GE(files.size(), 4U) << "golden domains missing under " << kGoldenDir;
  for (const fs::path& file : files) {
    const auto result = validate(file.string());
    EXPECT_EQ(result.status, 0) << file << ":\n" << result.output;
    EXPECT_NE(result.output.find("validates"), std::string::npos) << result.output;
  }
}

// libvirt's own parser as a second opinion (the in-process test driver: no daemon). It names
// bad attribute values precisely where the schema only says "fails to validate"; it drops the
// qemu: namespace, which the schema check above covers (setup-facts §5).
TEST(DomainValidate, EveryGeneratedVariantIsAcceptedByLibvirtsParser) {
  if (!fs::exists("/usr/bin/virsh")) GTEST_SKIP() << "virsh (Debian libvirt-clients) not installed";
  for (const fs::path& file : golden_domains()) {
    const auto result =
        testing::run({"/usr/bin/virsh", "-q", "-c", "test:///default", "define", file.string()},
                     Milliseconds(30000));
    EXPECT_EQ(result.status, 0) << file << ":\n" << result.output;
  }
}

// Broken copies of a generated domain: each must be refused by the schema (rc 3 on libvirt
// 9.0, setup-facts §5), or the test above would prove nothing.
TEST(DomainValidate, ABrokenDomainFails) {
  if (!have_validator()) GTEST_SKIP() << "virt-xml-validate (Debian libvirt-clients) not installed";
  const std::string good = testing::read_file((kGoldenDir / "rtx4070-laptop.xml").string());
  ASSERT_FALSE(good.empty());
  const std::pair<std::string, std::string> breakages[] = {
      {"<hidden state='on'/>", "<hidden state='yes'/>"},
      {"<model type='ivshmem-plain'/>", "<model type='ivshmem-bogus'/>"},
      {"type='unsigned'", "type='uint'"},
      {" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'", ""},
  };
  for (const auto& [from, to] : breakages) {
    std::string broken = good;
    const std::size_t at = broken.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    broken.replace(at, from.size(), to);
    testing::TempPath file("broken-domain.xml", "/tmp");
    std::ofstream(file.str()) << broken;
    const auto result = validate(file.str());
    EXPECT_NE(result.status, 0) << "accepted with " << to << ":\n" << result.output;
    EXPECT_EQ(result.output.find(" validates"), std::string::npos) << result.output;
  }
}

}  // namespace
}  // namespace periscope
