// The machine readers: bounded reads, links resolved inside the root, loops and odd files
// refused with an error rather than a hang or a crash.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "setup/doctor.hpp"
#include "setup/machine_reader_fs.hpp"
#include "setup/machine_reader_memory.hpp"

namespace periscope::setup {
namespace {

namespace fs = std::filesystem;

// A scratch root under /tmp, removed at the end (remove_all does not follow links).
class TempRoot {
 public:
  TempRoot() {
    std::string pattern = (fs::temp_directory_path() / "periscope-machine-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempRoot() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  void write(const std::string& machine_path, const std::string& content) const {
    const fs::path full = fs::path(path_) / machine_path.substr(1);
    fs::create_directories(full.parent_path());
    std::ofstream(full) << content;
  }
  void link(const std::string& machine_path, const std::string& target) const {
    const fs::path full = fs::path(path_) / machine_path.substr(1);
    fs::create_directories(full.parent_path());
    fs::create_symlink(target, full);
  }
  [[nodiscard]] std::string full(const std::string& machine_path) const {
    return (fs::path(path_) / machine_path.substr(1)).string();
  }

 private:
  std::string path_;
};

FsMachineReader open_root(const TempRoot& root) {
  auto reader = FsMachineReader::open(root.path());
  EXPECT_TRUE(reader) << root.path();
  return std::move(*reader);
}

TEST(MachineReaderFs, ReadsFilesListsDirectoriesAndLinks) {
  TempRoot root;
  root.write("/proc/cmdline", "quiet intel_iommu=on\n");
  root.write("/sys/devices/pci0000:00/0000:01:00.0/class", "0x030000\n");
  root.link("/sys/bus/pci/devices/0000:01:00.0", "../../../devices/pci0000:00/0000:01:00.0");
  root.link("/sys/devices/pci0000:00/0000:01:00.0/driver", "../../../bus/pci/drivers/vfio-pci");
  const FsMachineReader reader = open_root(root);
  EXPECT_EQ(reader.read_file("/proc/cmdline", 4096).value_or(""), "quiet intel_iommu=on\n");
  // Through the bus link, like sysfs.
  EXPECT_EQ(reader.read_file("/sys/bus/pci/devices/0000:01:00.0/class", 4096).value_or(""),
            "0x030000\n");
  EXPECT_EQ(reader.read_link("/sys/bus/pci/devices/0000:01:00.0/driver").value_or(""),
            "../../../bus/pci/drivers/vfio-pci");
  auto names = reader.list_dir("/sys/bus/pci/devices");
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"0000:01:00.0"});
  auto info = reader.stat("/sys/bus/pci/devices/0000:01:00.0");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, FileType::kDirectory);
}

TEST(MachineReaderFs, MissingFilesAreErrorsWithErrno) {
  TempRoot root;
  const FsMachineReader reader = open_root(root);
  auto text = reader.read_file("/proc/cmdline", 4096);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().errno_value, ENOENT);
  EXPECT_FALSE(reader.list_dir("/sys/bus/pci/devices"));
  EXPECT_FALSE(reader.read_link("/sys/nothing"));
  EXPECT_TRUE(reader.list_or_empty("/sys/class/iommu").empty());
  EXPECT_FALSE(reader.read_file("relative/path", 10));
}

TEST(MachineReaderFs, AnUnreadableRootIsAnError) {
  EXPECT_FALSE(FsMachineReader::open("/nonexistent/periscope-root"));
  EXPECT_FALSE(FsMachineReader::open(""));
  TempRoot root;
  root.write("/file", "x");
  EXPECT_FALSE(FsMachineReader::open(root.full("/file")));
}

TEST(MachineReaderFs, ReadsAreBounded) {
  TempRoot root;
  root.write("/proc/cpuinfo", "");
  // A sparse gigabyte: reading it whole would take seconds and a gigabyte of memory.
  fs::resize_file(root.full("/proc/cpuinfo"), std::uintmax_t{1} << 30);
  const FsMachineReader reader = open_root(root);
  const auto start = std::chrono::steady_clock::now();
  auto text = reader.read_file("/proc/cpuinfo", 4096);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->size(), 4096U);
  auto big = reader.read_file("/proc/cpuinfo", kCpuinfoBytes);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->size(), kCpuinfoBytes);
  // The doctor as a whole reads it bounded too, and says what it could not make of it.
  const DoctorReport report = run_doctor(reader);
  const Check* cpu = report.find("cpu.virtualization");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->status, CheckStatus::kWarn) << cpu->message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(MachineReaderFs, SymlinkLoopsEndInAnError) {
  TempRoot root;
  root.link("/a", "b");
  root.link("/b", "a");
  root.link("/self", "self");
  root.link("/sys/bus/pci/devices/0000:01:00.0", "0000:01:00.0");
  root.write("/sys/devices/x/class", "0x030000\n");
  root.link("/sys/devices/x/iommu_group", "../x/iommu_group");
  const FsMachineReader reader = open_root(root);
  auto a = reader.read_file("/a", 100);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().errno_value, ELOOP);
  EXPECT_FALSE(reader.read_file("/self", 100));
  EXPECT_FALSE(reader.stat("/self/deeper"));
  EXPECT_FALSE(reader.list_dir("/a"));
  // The link itself can still be read: only following it loops.
  EXPECT_EQ(reader.read_link("/self").value_or(""), "self");
  // The doctor over a looping device entry: a warning about it, no hang, no crash.
  const DoctorReport report = run_doctor(reader);
  const Check* pci = report.find("pci.read");
  ASSERT_NE(pci, nullptr);
  EXPECT_EQ(pci->status, CheckStatus::kWarn) << pci->message;
  EXPECT_NE(pci->message.find("0000:01:00.0"), std::string::npos) << pci->message;
}

TEST(MachineReaderFs, LinksCannotLeaveTheRoot) {
  TempRoot root;
  root.write("/etc/hostname", "inside\n");
  root.link("/abs", "/etc/hostname");
  root.link("/sys/up", "../../../../../../../../etc/hostname");
  root.link("/sys/etc", "/");
  const FsMachineReader reader = open_root(root);
  // An absolute target starts at the root, ".." stops there: never the host's /etc/hostname.
  EXPECT_EQ(reader.read_file("/abs", 100).value_or(""), "inside\n");
  EXPECT_EQ(reader.read_file("/sys/up", 100).value_or(""), "inside\n");
  EXPECT_EQ(reader.read_file("/sys/etc/etc/hostname", 100).value_or(""), "inside\n");
  EXPECT_EQ(reader.read_file("/../../etc/hostname", 100).value_or(""), "inside\n");
}

TEST(MachineReaderFs, OnlyRegularFilesAreRead) {
  TempRoot root;
  root.write("/dir/file", "x");
  ASSERT_EQ(::mkfifo(root.full("/fifo").c_str(), 0600), 0);
  const FsMachineReader reader = open_root(root);
  // A FIFO would block a plain open/read forever.
  auto fifo = reader.read_file("/fifo", 100);
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().code, ErrorCode::kUnsupported);
  EXPECT_FALSE(reader.read_file("/dir", 100));
  auto info = reader.stat("/fifo");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, FileType::kOther);
  EXPECT_EQ(info->mode, 0600U);
}

TEST(MachineReaderMemory, BehavesLikeATree) {
  MemoryMachineReader machine;
  machine.file("/sys/bus/pci/devices/0000:01:00.0/class", "0x030000\n")
      .link("/sys/bus/pci/devices/0000:01:00.0/driver", "../../vfio-pci")
      .file("/sys/bus/pci/devices/0000:00:02.0/class", "0x030000\n");
  EXPECT_EQ(machine.list_dir("/sys/bus/pci/devices").value_or(std::vector<std::string>{}),
            (std::vector<std::string>{"0000:00:02.0", "0000:01:00.0"}));
  EXPECT_EQ(machine.list_dir("/").value_or(std::vector<std::string>{}),
            std::vector<std::string>{"sys"});
  EXPECT_EQ(machine.read_link("/sys/bus/pci/devices/0000:01:00.0/driver").value_or(""),
            "../../vfio-pci");
  EXPECT_EQ(machine.read_file("/sys/bus/pci/devices/0000:01:00.0/class", 4).value_or(""), "0x03");
  EXPECT_TRUE(machine.is_dir("/sys/bus"));
  EXPECT_EQ(machine.read_file("/nothing", 10).error().errno_value, ENOENT);
  machine.remove("/sys/bus/pci/devices/0000:01:00.0");
  EXPECT_FALSE(machine.exists("/sys/bus/pci/devices/0000:01:00.0/class"));
}

}  // namespace
}  // namespace periscope::setup
