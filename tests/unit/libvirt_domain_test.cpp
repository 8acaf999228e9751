// The libvirt domain generator: golden files for specs built from the captured machines of
// tests/fixtures/machines (PERISCOPE_UPDATE_GOLDEN=1 rewrites them; review the diff by eye),
// what a user would notice in them (where the GPU sits, which CPUs the guest gets, what QEMU
// is told), and the vCPU pinning on each kind of CPU.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <pugixml.hpp>

#include "setup/cpu_pinning.hpp"
#include "setup/domain_checks.hpp"
#include "setup/libvirt_domain.hpp"
#include "setup/libvirt_domain_from_machine.hpp"
#include "setup/libvirt_domain_patch.hpp"
#include "setup/machine_reader_fs.hpp"

namespace periscope::setup {
namespace {

const std::filesystem::path kTests = std::filesystem::path(__FILE__).parent_path().parent_path();

MachineFacts facts_of(const std::string& fixture) {
  auto reader = FsMachineReader::open((kTests / "fixtures" / "machines" / fixture).string());
  EXPECT_TRUE(reader) << fixture;
  if (!reader) return {};
  return gather_machine_facts(*reader);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The generated XML must equal tests/golden/domain/<name>.xml.
// `folder` "domain" holds what must pass libvirt 9.0's schema (the integration test checks
// every file there); "domain-patch" holds patched user domains that carry the user's own
// elements, which may be written for a newer libvirt.
void expect_golden(const std::string& name, const std::string& xml,
                   const std::string& folder = "domain") {
  const std::filesystem::path golden = kTests / "golden" / folder / (name + ".xml");
  const char* update = std::getenv("PERISCOPE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden, std::ios::trunc) << xml;
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(golden))
      << golden << " (PERISCOPE_UPDATE_GOLDEN=1 writes it)";
  EXPECT_EQ(read_text(golden), xml) << "differs from " << golden;
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document document;
  EXPECT_TRUE(document.load_string(xml.c_str()));
  return document;
}

// The variants the goldens hold (the integration test runs virt-xml-validate on each).
DomainSpec laptop_spec() {
  DomainChoices choices;
  choices.vm_name = "win10-gpu";
  choices.memory_mib = 24576;
  choices.rom_file = "/var/lib/libvirt/vbios/rtx4070.rom";
  choices.disk_image = "/var/lib/libvirt/images/win10-gpu.qcow2";
  choices.cdroms = {"/var/lib/libvirt/images/Win10_22H2.iso",
                    "/var/lib/libvirt/images/virtio-win.iso"};
  auto spec =
      domain_spec_from_machine(facts_of("rtx4070-laptop-intel-igpu"), "0000:01:00.0", choices);
  EXPECT_TRUE(spec) << (spec ? "" : spec.error().message);
  return spec ? *spec : DomainSpec{};
}

DomainSpec desktop_spec() {
  DomainChoices choices;
  choices.vm_name = "win11";
  choices.memory_mib = 16384;
  choices.resolution = {2560, 1440};
  choices.evdev_keyboard = "/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd";
  choices.evdev_mouse = "/dev/input/by-id/usb-Logitech_G203-event-mouse";
  choices.virtiofs = VirtiofsShare{"/home/user/share", "share"};
  choices.disk_image = "/var/lib/libvirt/images/win11.qcow2";
  auto spec = domain_spec_from_machine(facts_of("desktop-clean-group"), "0000:0b:00.0", choices);
  EXPECT_TRUE(spec) << (spec ? "" : spec.error().message);
  return spec ? *spec : DomainSpec{};
}

DomainSpec kvmfr_spec() {
  DomainChoices choices;
  choices.vm_name = "win10-kvmfr";
  choices.memory_mib = 12288;
  choices.resolution = {3840, 2160};
  choices.shm_kind = ShmKind::kKvmfr;
  choices.max_guest_cores = 6;
  auto spec = domain_spec_from_machine(facts_of("rtx2060-mobile"), "0000:01:00.0", choices);
  EXPECT_TRUE(spec) << (spec ? "" : spec.error().message);
  return spec ? *spec : DomainSpec{};
}

// Hand-made: one function with unknown subsystem ids, Secure Boot asked for, no extras.
DomainSpec minimal_secure_boot_spec() {
  DomainSpec spec;
  spec.name = "win11-sb";
  spec.gpu_functions = {GpuFunction{"0000:03:00.0", 0x1002, 0x73bf, std::nullopt, std::nullopt}};
  spec.secure_boot = true;
  spec.network = "";
  spec.usb_tablet = false;
  spec.cpus = CpuPinning{2, 2, {2, 3, 4, 5}, {0, 1}, ""};
  return spec;
}

struct Variant {
  const char* name;
  DomainSpec (*spec)();
};
const Variant kVariants[] = {{"rtx4070-laptop", laptop_spec},
                             {"desktop-amd", desktop_spec},
                             {"rtx2060-mobile-kvmfr", kvmfr_spec},
                             {"minimal-secure-boot", minimal_secure_boot_spec}};

TEST(LibvirtDomain, EveryVariantMatchesItsGoldenFileAndPassesOurChecks) {
  for (const Variant& variant : kVariants) {
    auto xml = generate_domain_xml(variant.spec());
    ASSERT_TRUE(xml) << variant.name << ": " << xml.error().message;
    expect_golden(variant.name, *xml);
    auto problems = check_domain_xml(*xml);
    ASSERT_TRUE(problems) << variant.name;
    for (const DomainProblem& problem : *problems) {
      ADD_FAILURE() << variant.name << ": " << problem.check << ": " << problem.message;
    }
  }
}

TEST(LibvirtDomain, TheLaptopGpuKeepsBothFunctionsOnOneGuestSlotWithItsIdsRomAndBattery) {
  const auto xml = generate_domain_xml(laptop_spec());
  ASSERT_TRUE(xml);
  const pugi::xml_document document = parse(*xml);
  const auto hostdevs = document.select_nodes("/domain/devices/hostdev");
  ASSERT_EQ(hostdevs.size(), 2U);
  const pugi::xml_node gpu = hostdevs[0].node();
  const pugi::xml_node audio = hostdevs[1].node();
  EXPECT_STREQ(gpu.child("source").child("address").attribute("function").value(), "0x0");
  EXPECT_STREQ(audio.child("source").child("address").attribute("function").value(), "0x1");
  EXPECT_STREQ(gpu.child("address").attribute("bus").value(), "0x01");
  EXPECT_STREQ(audio.child("address").attribute("bus").value(), "0x01");
  EXPECT_STREQ(gpu.child("address").attribute("multifunction").value(), "on");
  EXPECT_FALSE(audio.child("address").attribute("multifunction"));
  EXPECT_STREQ(audio.child("address").attribute("function").value(), "0x1");
  EXPECT_STREQ(gpu.child("rom").attribute("file").value(), "/var/lib/libvirt/vbios/rtx4070.rom");
  EXPECT_FALSE(audio.child("rom"));
  EXPECT_STREQ(gpu.child("alias").attribute("name").value(), "ua-gpu0");
  // Subsystem 17aa:3c0f in decimal, as QEMU's unsigned property wants it.
  const auto vendor = document.select_node(
      "/domain/qemu:override/qemu:device[@alias='ua-gpu0']/qemu:frontend/"
      "qemu:property[@name='x-pci-sub-vendor-id']");
  ASSERT_TRUE(vendor);
  EXPECT_STREQ(vendor.node().attribute("value").value(), "6058");
  EXPECT_STREQ(vendor.node().attribute("type").value(), "unsigned");
  // The fixture is a laptop with an NVIDIA GPU: the fake battery goes in, and the viewer's
  // QMP socket.
  std::vector<std::string> args;
  for (const auto& arg : document.select_nodes("/domain/qemu:commandline/qemu:arg")) {
    args.emplace_back(arg.node().attribute("value").value());
  }
  EXPECT_EQ(args, (std::vector<std::string>{
                      "-acpitable", "file=/var/lib/libvirt/qemu/ssdt-battery.aml", "-qmp",
                      "unix:/run/periscope/win10-gpu.qmp,server=on,wait=off"}));
  EXPECT_STREQ(document.select_node("/domain/devices/shmem/size").node().text().get(), "32");
  EXPECT_STREQ(document.select_node("/domain/devices/memballoon").node().attribute("model").value(),
               "none");
  EXPECT_STREQ(
      document.select_node("/domain/features/kvm/hidden").node().attribute("state").value(), "on");
}

TEST(LibvirtDomain, TheHybridLaptopPinsPerformanceCoresToTheGuestAsGuide004Does) {
  const auto xml = generate_domain_xml(laptop_spec());
  ASSERT_TRUE(xml);
  const pugi::xml_document document = parse(*xml);
  // Guide 004 by hand: vcpu N on CPU N for 0-15 (8 P-cores with HT), emulator and I/O thread
  // on the E-cores 16-31.
  const auto pins = document.select_nodes("/domain/cputune/vcpupin");
  ASSERT_EQ(pins.size(), 16U);
  for (std::size_t i = 0; i < pins.size(); ++i) {
    EXPECT_EQ(pins[i].node().attribute("vcpu").as_int(), static_cast<int>(i));
    EXPECT_EQ(pins[i].node().attribute("cpuset").as_int(), static_cast<int>(i));
  }
  EXPECT_STREQ(
      document.select_node("/domain/cputune/emulatorpin").node().attribute("cpuset").value(),
      "16-31");
  EXPECT_STREQ(
      document.select_node("/domain/cputune/iothreadpin").node().attribute("cpuset").value(),
      "16-31");
  const pugi::xml_node topology = document.select_node("/domain/cpu/topology").node();
  EXPECT_EQ(topology.attribute("cores").as_int(), 8);
  EXPECT_EQ(topology.attribute("threads").as_int(), 2);
  EXPECT_FALSE(document.select_node("/domain/cpu/feature[@name='topoext']"));
}

TEST(LibvirtDomain, TheAmdDesktopKeepsCore0ForTheHostAndTellsTheGuestAboutSmt) {
  const auto xml = generate_domain_xml(desktop_spec());
  ASSERT_TRUE(xml);
  const pugi::xml_document document = parse(*xml);
  const auto pins = document.select_nodes("/domain/cputune/vcpupin");
  ASSERT_EQ(pins.size(), 14U);
  // Ryzen 7 5800X: CPU N and N+8 are one core. vCPUs 0 and 1 are core 1's two threads.
  EXPECT_STREQ(pins[0].node().attribute("cpuset").value(), "1");
  EXPECT_STREQ(pins[1].node().attribute("cpuset").value(), "9");
  EXPECT_STREQ(pins[13].node().attribute("cpuset").value(), "15");
  EXPECT_STREQ(
      document.select_node("/domain/cputune/emulatorpin").node().attribute("cpuset").value(),
      "0,8");
  EXPECT_TRUE(document.select_node("/domain/cpu/feature[@name='topoext'][@policy='require']"));
  // No battery on a desktop; the 1440p shared memory is 64 MiB.
  EXPECT_EQ(xml->find("-acpitable"), std::string::npos);
  EXPECT_STREQ(document.select_node("/domain/devices/shmem/size").node().text().get(), "64");
  // The asked-for extras.
  EXPECT_EQ(document.select_nodes("/domain/devices/input[@type='evdev']").size(), 2U);
  EXPECT_STREQ(
      document.select_node("/domain/devices/filesystem/driver").node().attribute("type").value(),
      "virtiofs");
  EXPECT_STREQ(
      document.select_node("/domain/memoryBacking/access").node().attribute("mode").value(),
      "shared");
}

TEST(LibvirtDomain, KvmfrGoesThroughTheCommandLineWithTheModulesExactSize) {
  const DomainSpec spec = kvmfr_spec();
  const auto xml = generate_domain_xml(spec);
  ASSERT_TRUE(xml);
  const pugi::xml_document document = parse(*xml);
  EXPECT_FALSE(document.select_node("/domain/devices/shmem"));
  // 3840x2160 SDR: 128 MiB, and kvmfr's static_size_mb=128 makes exactly 134217728 bytes.
  EXPECT_NE(xml->find(R"("mem-path":"/dev/kvmfr0","size":134217728,"share":true)"),
            std::string::npos);
  EXPECT_NE(xml->find(R"({"driver":"ivshmem-plain","id":"shmem0","memdev":"looking-glass"})"),
            std::string::npos);
  // All four functions of the RTX 2060 (VGA, audio, USB, UCSI) on guest slot 01:00.
  const auto hostdevs =
      document.select_nodes("/domain/devices/hostdev/address[@bus='0x01'][@slot='0x00']");
  EXPECT_EQ(hostdevs.size(), 4U);
  EXPECT_EQ(document.select_nodes("/domain/qemu:override/qemu:device").size(), 4U);
  // max_guest_cores = 6 of the 7 left after the host's core 0.
  EXPECT_EQ(document.select_nodes("/domain/cputune/vcpupin").size(), 12U);
}

TEST(LibvirtDomain, UnknownSubsystemIdsGiveNoOverrideBlockAtAll) {
  const auto xml = generate_domain_xml(minimal_secure_boot_spec());
  ASSERT_TRUE(xml);
  EXPECT_EQ(xml->find("qemu:override"), std::string::npos);
  EXPECT_EQ(xml->find("qemu:commandline"), std::string::npos);
  EXPECT_EQ(xml->find("multifunction"), std::string::npos);  // one function: not needed
  EXPECT_NE(xml->find("<feature enabled='yes' name='secure-boot'/>"), std::string::npos);
  EXPECT_NE(xml->find("<smm state='on'/>"), std::string::npos);
  DomainSpec zero = minimal_secure_boot_spec();
  zero.gpu_functions[0].subsystem_vendor = 0;
  zero.gpu_functions[0].subsystem_device = 0;
  const auto zero_xml = generate_domain_xml(zero);
  ASSERT_TRUE(zero_xml);
  EXPECT_EQ(zero_xml->find("qemu:override"), std::string::npos);
}

TEST(LibvirtDomain, WithoutSecureBootTheFirmwareFeaturesAreOff) {
  const auto xml = generate_domain_xml(laptop_spec());
  ASSERT_TRUE(xml);
  EXPECT_NE(xml->find("<feature enabled='no' name='secure-boot'/>"), std::string::npos);
  EXPECT_NE(xml->find("<feature enabled='no' name='enrolled-keys'/>"), std::string::npos);
  EXPECT_EQ(xml->find("smm"), std::string::npos);
}

TEST(LibvirtDomain, RefusesSpecsThatCannotMakeAWorkingVm) {
  const auto refused = [](auto&& change, const char* why) {
    DomainSpec spec = minimal_secure_boot_spec();
    change(spec);
    const auto xml = generate_domain_xml(spec);
    EXPECT_FALSE(xml) << why;
    if (!xml) {
      EXPECT_FALSE(xml.error().message.empty()) << why;
    }
  };
  refused([](DomainSpec& s) { s.shm.size_mib = 48; }, "48 MiB is not a power of two");
  refused(
      [](DomainSpec& s) {
        s.gpu_functions.push_back({"0000:04:00.1", 0x1002, 0xab28, {}, {}});
      },
      "functions of two devices");
  refused([](DomainSpec& s) { s.gpu_functions[0].address = "0000:03:00.1"; }, "no function 0");
  refused([](DomainSpec& s) { s.gpu_functions.push_back(s.gpu_functions[0]); }, "twice");
  refused([](DomainSpec& s) { s.gpu_functions[0].address = "03:00.0"; }, "short address");
  refused([](DomainSpec& s) { s.gpu_functions.clear(); }, "no GPU");
  refused([](DomainSpec& s) { s.hyperv_vendor_id = "ThirteenChars"; }, "vendor id over 12");
  refused([](DomainSpec& s) { s.name.clear(); }, "no name");
  refused([](DomainSpec& s) { s.rom_file = "gpu.rom"; }, "relative ROM path");
  refused([](DomainSpec& s) { s.battery_ssdt = "/var/lib/a,b.aml"; }, "comma splits QEMU's option");
  refused([](DomainSpec& s) { s.cpus.vcpu_host_cpus.clear(); }, "no vCPUs");
  refused([](DomainSpec& s) { s.cpus.threads = 1; }, "4 vCPUs are not 2 cores x 1 thread");
}

TEST(LibvirtDomain, TheSpecFromAMachineRefusesAnUnknownGpu) {
  const auto spec =
      domain_spec_from_machine(facts_of("desktop-clean-group"), "0000:42:00.0", DomainChoices{});
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("0000:42:00.0"), std::string::npos);
}

TEST(LibvirtDomain, TheFakeBatteryFollowsTheMachineUnlessForced) {
  DomainChoices choices;
  // gtx1660ti-laptop: a laptop with an NVIDIA GPU.
  auto laptop = domain_spec_from_machine(facts_of("gtx1660ti-laptop"), "0000:01:00.0", choices);
  ASSERT_TRUE(laptop) << laptop.error().message;
  EXPECT_EQ(laptop->battery_ssdt, "/var/lib/libvirt/qemu/ssdt-battery.aml");
  choices.fake_battery = false;
  laptop = domain_spec_from_machine(facts_of("gtx1660ti-laptop"), "0000:01:00.0", choices);
  ASSERT_TRUE(laptop);
  EXPECT_TRUE(laptop->battery_ssdt.empty());
  EXPECT_EQ(laptop->gpu_functions.size(), 4U);
}

// --- patch mode ---

TEST(LibvirtDomainPatch, PatchingOurOwnDomainWithTheSameSpecChangesNothing) {
  for (const Variant& variant : kVariants) {
    const DomainSpec spec = variant.spec();
    const auto xml = generate_domain_xml(spec);
    ASSERT_TRUE(xml);
    const auto patched = patch_domain_xml(*xml, spec);
    ASSERT_TRUE(patched) << variant.name << ": " << patched.error().message;
    EXPECT_EQ(*patched, *xml) << variant.name;
  }
}

// Guide 004's own domain (its section 3), as the user would have it in virsh.
std::string guide004_domain() {
  const std::filesystem::path seeds = PERISCOPE_SEEDS_DIR;
  if (!std::filesystem::exists(seeds)) return {};
  for (const auto& entry : std::filesystem::directory_iterator(seeds)) {
    if (entry.path().filename().string().rfind("004_", 0) != 0) continue;
    const std::string all = read_text(entry.path());
    const std::size_t begin = all.find("<domain xmlns:qemu");
    const std::size_t end = all.find("</domain>", begin);
    if (begin == std::string::npos || end == std::string::npos) return {};
    return all.substr(begin, end + 9 - begin);
  }
  return {};
}

TEST(LibvirtDomainPatch, Guide004sDomainGetsOneGpuSlotAndKeepsEverythingElse) {
  const std::string original = guide004_domain();
  if (original.empty()) GTEST_SKIP() << "guide 004 not found under " << PERISCOPE_SEEDS_DIR;
  const DomainSpec spec = laptop_spec();
  const auto patched = patch_domain_xml(original, spec);
  ASSERT_TRUE(patched) << patched.error().message;
  // Guide 004 was written on Arch (a newer libvirt: `clusters`, an itco watchdog), so its
  // domain does not pass Debian 12's schema before or after: its golden lives apart.
  expect_golden("guide004", *patched, "domain-patch");

  const auto problems = check_domain_xml(*patched);
  ASSERT_TRUE(problems);
  for (const DomainProblem& problem : *problems)
    ADD_FAILURE() << problem.check << ": " << problem.message;

  const pugi::xml_document before = parse(original);
  const pugi::xml_document after = parse(*patched);
  // Both GPU functions now share the root port the GPU used (bus 5); the audio's old port (6)
  // stays as an empty port, and no controller was added.
  const auto hostdevs = after.select_nodes("/domain/devices/hostdev[@type='pci']");
  ASSERT_EQ(hostdevs.size(), 2U);
  for (const auto& hostdev : hostdevs) {
    EXPECT_STREQ(hostdev.node().child("address").attribute("bus").value(), "0x05");
  }
  EXPECT_EQ(after.select_nodes("/domain/devices/controller").size(),
            before.select_nodes("/domain/devices/controller").size());
  // The user's things are untouched: disks, the USB webcam, the network card on bus 1, the
  // firmware paths, the name and memory, the comments.
  for (const char* path :
       {"/domain/devices/disk", "/domain/devices/hostdev[@type='usb']", "/domain/devices/interface",
        "/domain/devices/watchdog", "/domain/os/loader", "/domain/os/nvram", "/domain/uuid",
        "/domain/devices/video"}) {
    EXPECT_EQ(after.select_nodes(path).size(), before.select_nodes(path).size()) << path;
    EXPECT_FALSE(after.select_nodes(path).empty()) << path;
  }
  EXPECT_STREQ(after.select_node("/domain/memory").node().text().get(), "25165824");
  EXPECT_NE(patched->find("<!-- 磁盘映射 -->"), std::string::npos);
  // Ours replaced theirs: one balloon (none), one battery argument (the guide's ssdt1.aml is
  // a different file and stays), the shared memory sized by the rule.
  EXPECT_EQ(after.select_nodes("/domain/devices/memballoon").size(), 1U);
  EXPECT_STREQ(after.select_node("/domain/devices/memballoon").node().attribute("model").value(),
               "none");
  EXPECT_EQ(after.select_nodes("/domain/devices/shmem").size(), 1U);
  EXPECT_TRUE(after.select_node("/domain/qemu:override/qemu:device[@alias='ua-gpu0']"));
  EXPECT_EQ(after.select_nodes("/domain/cputune/vcpupin").size(), 16U);
  // Without a ROM in the spec, the one the user had stays on the GPU.
  DomainSpec no_rom = spec;
  no_rom.rom_file.clear();
  const auto kept = patch_domain_xml(original, no_rom);
  ASSERT_TRUE(kept);
  EXPECT_STREQ(
      parse(*kept).select_node("/domain/devices/hostdev/rom").node().attribute("file").value(),
      "/var/lib/libvirt/vbios/patched_4070.rom");

  const auto twice = patch_domain_xml(*patched, spec);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, *patched) << "a second patch must change nothing";
}

// A domain as virt-manager on Debian 12 makes it for Windows (trimmed): BIOS-era defaults we
// replace (virtio balloon, host-model CPU) and things we keep (disk, network, tablet, TPM).
constexpr const char* kVirtManagerDomain = R"(<domain type='kvm'>
  <name>win11</name>
  <uuid>5f0c2b8e-2d1a-4a53-9a37-0a4c1c6b7e11</uuid>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>8388608</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <os firmware='efi'>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <hyperv mode='custom'>
      <relaxed state='on'/>
      <vapic state='on'/>
      <spinlocks state='on' retries='4096'/>
      <frequencies state='on'/>
    </hyperv>
    <vmport state='off'/>
  </features>
  <cpu mode='host-model' check='partial'/>
  <clock offset='localtime'>
    <timer name='hypervclock' present='yes'/>
  </clock>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/win11.qcow2'/>
      <target dev='sda' bus='sata'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'>
      <model name='pcie-root-port'/>
      <target chassis='1' port='0x10'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0' multifunction='on'/>
    </controller>
    <controller type='pci' index='2' model='pcie-root-port'>
      <model name='pcie-root-port'/>
      <target chassis='2' port='0x11'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x1'/>
    </controller>
    <interface type='network'>
      <mac address='52:54:00:3a:5b:10'/>
      <source network='default'/>
      <model type='e1000e'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <input type='tablet' bus='usb'/>
    <tpm model='tpm-crb'>
      <backend type='emulator' version='2.0'/>
    </tpm>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </memballoon>
  </devices>
</domain>
)";

TEST(LibvirtDomainPatch, AVirtManagerDomainGetsTheGpuOnAFreshRootPort) {
  const DomainSpec spec = desktop_spec();
  const auto patched = patch_domain_xml(kVirtManagerDomain, spec);
  ASSERT_TRUE(patched) << patched.error().message;
  expect_golden("patched-virt-manager", *patched);
  const auto problems = check_domain_xml(*patched);
  ASSERT_TRUE(problems);
  for (const DomainProblem& problem : *problems) {
    ADD_FAILURE() << problem.check << ": " << problem.message;
  }
  const pugi::xml_document after = parse(*patched);
  // Bus 1 holds the network card and bus 2 was the balloon's: the GPU gets root port 3.
  EXPECT_TRUE(after.select_node("/domain/devices/controller[@index='3'][@model='pcie-root-port']"));
  EXPECT_EQ(after.select_nodes("/domain/devices/hostdev/address[@bus='0x03']").size(), 2U);
  EXPECT_STREQ(after.select_node("/domain/cpu").node().attribute("mode").value(),
               "host-passthrough");
  // Their enlightenment stays, ours replace the same-named ones.
  EXPECT_TRUE(after.select_node("/domain/features/hyperv/frequencies"));
  EXPECT_STREQ(
      after.select_node("/domain/features/hyperv/spinlocks").node().attribute("retries").value(),
      "8191");
  EXPECT_TRUE(after.select_node("/domain/devices/tpm"));
  EXPECT_TRUE(after.select_node(
      "/domain/devices/disk/source[@file='/var/lib/libvirt/images/win11.qcow2']"));
  EXPECT_STREQ(after.select_node("/domain/os/type").node().attribute("machine").value(),
               "pc-q35-7.2");
  const auto twice = patch_domain_xml(*patched, spec);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, *patched);
}

TEST(LibvirtDomainPatch, AnEmptyDomainGetsEverythingWeOwn) {
  const DomainSpec spec = kvmfr_spec();
  const auto patched = patch_domain_xml("<domain type='kvm'><name>bare</name></domain>", spec);
  ASSERT_TRUE(patched) << patched.error().message;
  const auto problems = check_domain_xml(*patched);
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty());
  const pugi::xml_document after = parse(*patched);
  EXPECT_EQ(after.select_nodes("/domain/devices/hostdev").size(), 4U);
  EXPECT_TRUE(after.select_node("/domain/devices/controller[@index='1'][@model='pcie-root-port']"));
  EXPECT_NE(patched->find("xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"),
            std::string::npos);
  EXPECT_NE(patched->find("/dev/kvmfr0"), std::string::npos);
}

TEST(LibvirtDomainPatch, SwitchingFromShmToKvmfrReplacesTheSharedMemory) {
  const auto shm = generate_domain_xml(laptop_spec());
  ASSERT_TRUE(shm);
  DomainSpec spec = laptop_spec();
  spec.shm.kind = ShmKind::kKvmfr;
  spec.shm.size_mib = 64;
  const auto patched = patch_domain_xml(*shm, spec);
  ASSERT_TRUE(patched);
  EXPECT_EQ(patched->find("<shmem"), std::string::npos);
  EXPECT_NE(patched->find(R"("size":67108864)"), std::string::npos);
  spec.shm.size_mib = 128;  // a bigger region later: the object is replaced, not doubled
  const auto bigger = patch_domain_xml(*patched, spec);
  ASSERT_TRUE(bigger);
  EXPECT_EQ(bigger->find(R"("size":67108864)"), std::string::npos);
  EXPECT_NE(bigger->find(R"("size":134217728)"), std::string::npos);
  const pugi::xml_document after = parse(*bigger);
  EXPECT_EQ(after.select_nodes("/domain/qemu:commandline/qemu:arg[@value='-object']").size(), 1U);
}

TEST(LibvirtDomainPatch, RefusesWhatIsNotADomain) {
  EXPECT_FALSE(patch_domain_xml("<network/>", laptop_spec()));
  EXPECT_FALSE(patch_domain_xml("<domain>", laptop_spec()));
  EXPECT_FALSE(patch_domain_xml(
      "<domain xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'><name>x</name></domain>",
      laptop_spec()));
}

// --- vCPU pinning on its own ---

CpuTopology topology_of(const std::string& fixture) {
  const MachineFacts facts = facts_of(fixture);
  EXPECT_TRUE(facts.topology) << fixture;
  return facts.topology ? *facts.topology : CpuTopology{};
}

TEST(CpuPinning, WithoutSmtEachGuestCoreIsOneVcpu) {
  // iommu-off: i7-9700, 8 cores, no SMT.
  const auto pinning = plan_cpu_pinning(topology_of("iommu-off"));
  ASSERT_TRUE(pinning) << pinning.error().message;
  EXPECT_EQ(pinning->cores, 7);
  EXPECT_EQ(pinning->threads, 1);
  EXPECT_EQ(pinning->vcpu_host_cpus, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(pinning->host_cpus, (std::vector<int>{0}));
}

TEST(CpuPinning, AdjacentSiblingsStayPairs) {
  // rtx2060-mobile: Ryzen 7 4800H, siblings 0-1, 2-3, ...
  const auto pinning = plan_cpu_pinning(topology_of("rtx2060-mobile"));
  ASSERT_TRUE(pinning);
  EXPECT_EQ(pinning->cores, 7);
  EXPECT_EQ(pinning->threads, 2);
  EXPECT_EQ(pinning->vcpu_host_cpus.front(), 2);
  EXPECT_EQ(pinning->vcpu_host_cpus[1], 3);
  EXPECT_EQ(pinning->host_cpus, (std::vector<int>{0, 1}));
}

CpuTopology synthetic(int cores, int threads) {
  CpuTopology topology;
  for (int core = 0; core < cores; ++core) {
    std::vector<int> siblings;
    for (int t = 0; t < threads; ++t) siblings.push_back(core + t * cores);
    for (int cpu : siblings) topology.threads.push_back(CpuThread{cpu, 0, core, siblings});
  }
  return topology;
}

TEST(CpuPinning, ASingleCoreLeavesNothingForTheGuest) {
  const auto pinning = plan_cpu_pinning(synthetic(1, 2));
  ASSERT_FALSE(pinning);
  EXPECT_NE(pinning.error().message.find("none left for the guest"), std::string::npos);
  EXPECT_FALSE(plan_cpu_pinning(synthetic(4, 2), 0));
}

TEST(CpuPinning, AHybridListWithOnlyPerformanceCoresStillKeepsOneForTheHost) {
  CpuTopology topology = synthetic(4, 2);
  topology.performance_cpus = {0, 1, 2, 3, 4, 5, 6, 7};
  topology.efficiency_cpus = {99};  // listed but offline: no topology for it
  const auto pinning = plan_cpu_pinning(topology);
  ASSERT_TRUE(pinning);
  EXPECT_EQ(pinning->cores, 3);
  EXPECT_EQ(pinning->host_cpus, (std::vector<int>{0, 4}));
}

}  // namespace
}  // namespace periscope::setup
