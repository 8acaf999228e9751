#include "setup/aml_battery.hpp"

#include "setup/aml_encoding.hpp"

namespace periscope::setup {

namespace {

using aml::Bytes;

// _BIF and _BST report milliwatt-hours (power unit 0); the battery is full and idle, so the
// guest sees it "on AC, charged" and never warns or hibernates.
constexpr std::uint64_t kPowerUnitMilliwatts = 0;
constexpr std::uint64_t kDesignCapacityMwh = 10000;
constexpr std::uint64_t kLastFullChargeMwh = 10000;
constexpr std::uint64_t kTechnologyRechargeable = 1;
constexpr std::uint64_t kDesignVoltageMv = 10000;
constexpr std::uint64_t kWarningCapacityMwh = 500;
constexpr std::uint64_t kLowCapacityMwh = 100;
constexpr std::uint64_t kGranularityMwh = 0;
constexpr std::uint64_t kStateIdle = 0;
constexpr std::uint64_t kPresentRateMw = 0;
constexpr std::uint64_t kRemainingCapacityMwh = 10000;
constexpr std::uint64_t kPresentVoltageMv = 10000;

// _STA bits: present, enabled, shown in the UI, functioning (0x0F); bit 4 battery present.
constexpr std::uint64_t kStaDevicePresent = 0x0F;
constexpr std::uint64_t kStaBatteryPresent = 0x1F;
constexpr std::uint64_t kPsrOnline = 1;

Bytes ac_adapter() {
  Bytes body = aml::name("_HID", aml::string("ACPI0003"));
  // _PCL: the devices this power source powers; \_SB means "everything".
  aml::append(body, aml::name("_PCL", aml::package({aml::name_string("\\_SB")})));
  aml::append(body, aml::method("_PSR", 0, aml::return_value(aml::integer(kPsrOnline))));
  aml::append(body, aml::method("_STA", 0, aml::return_value(aml::integer(kStaDevicePresent))));
  return aml::device("ADP1", body);
}

Bytes battery() {
  Bytes body = aml::name("_HID", aml::eisa_id("PNP0C0A"));  // Control Method Battery
  aml::append(body, aml::name("_UID", aml::integer(0)));
  aml::append(body, aml::name("_PCL", aml::package({aml::name_string("\\_SB")})));
  aml::append(body, aml::method("_STA", 0, aml::return_value(aml::integer(kStaBatteryPresent))));
  const Bytes info = aml::package({
      aml::integer(kPowerUnitMilliwatts), aml::integer(kDesignCapacityMwh),
      aml::integer(kLastFullChargeMwh), aml::integer(kTechnologyRechargeable),
      aml::integer(kDesignVoltageMv), aml::integer(kWarningCapacityMwh),
      aml::integer(kLowCapacityMwh), aml::integer(kGranularityMwh), aml::integer(kGranularityMwh),
      aml::string("BAT0"),     // model number
      aml::string("12345"),    // serial number
      aml::string("LION"),     // battery type
      aml::string("Virtual"),  // OEM information
  });
  aml::append(body, aml::method("_BIF", 0, aml::return_value(info)));
  const Bytes status = aml::package({
      aml::integer(kStateIdle),
      aml::integer(kPresentRateMw),
      aml::integer(kRemainingCapacityMwh),
      aml::integer(kPresentVoltageMv),
  });
  aml::append(body, aml::method("_BST", 0, aml::return_value(status)));
  return aml::device("BAT0", body);
}

}  // namespace

std::vector<std::uint8_t> fake_battery_ssdt() {
  Bytes devices = ac_adapter();
  aml::append(devices, battery());
  // The header is guide 004's DefinitionBlock; the creator is the iasl release the reference
  // bytes came from, so our output is byte-identical to it (the guest ignores both fields).
  const aml::TableHeader header{
      .signature = "SSDT",
      .revision = 2,
      .oem_id = "RedHat",
      .oem_table_id = "Bat",
      .oem_revision = 1,
      .creator_id = "INTL",
      .creator_revision = 0x20200925,
  };
  return aml::definition_block(header, aml::scope("\\_SB", devices));
}

}  // namespace periscope::setup
