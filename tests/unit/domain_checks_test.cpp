// The semantic checks libvirt's schema does not make: each broken domain below is one a user
// could write (or a guide did), and each names what libvirt or the guest would then do.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "setup/domain_checks.hpp"

namespace periscope::setup {
namespace {

// A small, correct GPU domain; the tests break one thing at a time.
constexpr const char* kGood =
    R"(<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>win</name>
  <features><hyperv mode='custom'><vendor_id state='on' value='GenuineIntel'/></hyperv></features>
  <devices>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
      <alias name='ua-gpu0'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0' multifunction='on'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>
      <alias name='ua-gpu1'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>
    </hostdev>
    <interface type='network'><source network='default'/>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></interface>
    <shmem name='looking-glass'><model type='ivshmem-plain'/><size unit='M'>64</size></shmem>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-object'/>
    <qemu:arg value='{"qom-type":"memory-backend-file","id":"lg","mem-path":"/dev/kvmfr0","size":67108864,"share":true}'/>
  </qemu:commandline>
  <qemu:override>
    <qemu:device alias='ua-gpu0'>
      <qemu:frontend>
        <qemu:property name='x-pci-sub-vendor-id' type='unsigned' value='4139'/>
      </qemu:frontend>
    </qemu:device>
  </qemu:override>
</domain>
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::vector<std::string> checks_failed(const std::string& xml) {
  const auto problems = check_domain_xml(xml);
  EXPECT_TRUE(problems) << (problems ? "" : problems.error().message);
  std::vector<std::string> ids;
  if (problems) {
    for (const DomainProblem& problem : *problems) {
      EXPECT_FALSE(problem.message.empty());
      ids.push_back(problem.check);
    }
  }
  return ids;
}

using Ids = std::vector<std::string>;

TEST(DomainChecks, TheGoodDomainPasses) {
  EXPECT_EQ(checks_failed(kGood), Ids{});
}

TEST(DomainChecks, AnAliasWithoutUaPrefixIsDroppedAndItsOverrideNeverApplies) {
  const std::string xml =
      replaced(replaced(kGood, "<alias name='ua-gpu0'/>", "<alias name='gpu0'/>"),
               "alias='ua-gpu0'", "alias='gpu0'");
  EXPECT_EQ(checks_failed(xml), (Ids{"alias.prefix"}));
}

TEST(DomainChecks, AnOverrideForNoDeviceIsFound) {
  EXPECT_EQ(checks_failed(replaced(kGood, "alias='ua-gpu0'", "alias='ua-gpu'")),
            (Ids{"override.alias"}));
}

TEST(DomainChecks, AnEmptyOverrideBlockIsFound) {
  const std::string xml = replaced(
      kGood, "<qemu:property name='x-pci-sub-vendor-id' type='unsigned' value='4139'/>", "");
  EXPECT_EQ(checks_failed(xml), (Ids{"override.empty"}));
}

TEST(DomainChecks, ShmemSizesMustBePowersOfTwoInEveryUnit) {
  EXPECT_EQ(checks_failed(replaced(kGood, "<size unit='M'>64</size>", "<size unit='M'>48</size>")),
            (Ids{"shmem.size"}));
  EXPECT_EQ(
      checks_failed(replaced(kGood, "<size unit='M'>64</size>", "<size unit='KiB'>65536</size>")),
      Ids{});
  EXPECT_EQ(checks_failed(replaced(kGood, "<size unit='M'>64</size>", "<size>67108864</size>")),
            Ids{});
  // 64 MB (decimal) is 64,000,000 bytes: not a power of two.
  EXPECT_EQ(checks_failed(replaced(kGood, "<size unit='M'>64</size>", "<size unit='MB'>64</size>")),
            (Ids{"shmem.size"}));
  EXPECT_EQ(checks_failed(replaced(kGood, "<size unit='M'>64</size>", "<size unit='XB'>64</size>")),
            (Ids{"shmem.size"}));
}

TEST(DomainChecks, AKvmfrObjectOfTheWrongSizeIsFound) {
  EXPECT_EQ(checks_failed(replaced(kGood, "\"size\":67108864", "\"size\":50331648")),
            (Ids{"kvmfr.size"}));
}

TEST(DomainChecks, TwoDevicesOnOneGuestAddressClash) {
  const std::string xml = replaced(kGood, "bus='0x02' slot='0x00' function='0x0'/></interface>",
                                   "bus='0x01' slot='0x00' function='0x1'/></interface>");
  EXPECT_EQ(checks_failed(xml), (Ids{"pci.clash"}));
}

TEST(DomainChecks, GpuFunctionsOnTwoGuestSlotsAreFound) {
  // Guide 004's layout: the GPU on guest bus 5, its audio on bus 6.
  std::string xml = replaced(kGood, "bus='0x01' slot='0x00' function='0x1'/>\n    </hostdev>",
                             "bus='0x06' slot='0x00' function='0x0'/>\n    </hostdev>");
  EXPECT_EQ(checks_failed(xml), (Ids{"gpu.slot"}));
}

TEST(DomainChecks, AGpuFunctionWithoutAGuestAddressIsFound) {
  const std::string xml = replaced(
      kGood, "\n      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>",
      "");
  const Ids ids = checks_failed(xml);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), "gpu.slot");
}

TEST(DomainChecks, FunctionZeroWithoutMultifunctionIsFound) {
  EXPECT_EQ(checks_failed(replaced(kGood, " multifunction='on'", "")), (Ids{"gpu.multifunction"}));
}

TEST(DomainChecks, QemuElementsWithoutTheNamespaceAreFound) {
  EXPECT_EQ(checks_failed(
                replaced(kGood, " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'", "")),
            (Ids{"qemu.namespace"}));
}

TEST(DomainChecks, AVendorIdOverTwelveCharactersIsFound) {
  EXPECT_EQ(checks_failed(replaced(kGood, "value='GenuineIntel'", "value='GenuineIntel1'")),
            (Ids{"hyperv.vendor_id"}));
}

TEST(DomainChecks, NotADomainIsAnErrorNotAPass) {
  EXPECT_FALSE(check_domain_xml("<domain><name>"));
  EXPECT_FALSE(check_domain_xml("<network><name>default</name></network>"));
  EXPECT_FALSE(check_domain_xml(""));
}

// The domain guide 004 wrote by hand (in its section 3): the GPU and its audio each behind a
// root port of their own, guest buses 5 and 6.
TEST(DomainChecks, Guide004sHandWrittenDomainScattersTheGpu) {
  const std::filesystem::path seeds = PERISCOPE_SEEDS_DIR;
  std::filesystem::path guide;
  if (std::filesystem::exists(seeds)) {
    for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
      if (entry.path().filename().string().rfind("004_", 0) == 0) guide = entry.path();
    }
  }
  if (guide.empty()) GTEST_SKIP() << "guide 004 not found under " << seeds;
  std::ifstream in(guide);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const std::size_t begin = all.find("<domain xmlns:qemu");
  const std::size_t end = all.find("</domain>", begin);
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const Ids ids = checks_failed(all.substr(begin, end + 9 - begin));
  EXPECT_EQ(ids, (Ids{"gpu.slot"}));
}

}  // namespace
}  // namespace periscope::setup
