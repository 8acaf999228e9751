#pragma once
// The element builders the domain generator and the patch mode share (internal to src/setup:
// callers outside use libvirt_domain.hpp / libvirt_domain_patch.hpp). Each adds one part of the
// domain as docs/libvirt-domain.md describes it.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "setup/libvirt_domain.hpp"

namespace periscope::setup::domain_xml {

inline constexpr const char* kQemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0";
// The id that ties kvmfr's -device to its -object.
inline constexpr const char* kKvmfrMemdev = "looking-glass";

[[nodiscard]] bool power_of_two(std::uint64_t value);

pugi::xml_node add(pugi::xml_node parent, const char* name,
                   std::initializer_list<std::pair<const char*, std::string>> attributes = {});

// <vcpu>, <iothreads>, <cputune> with the pins.
void add_cpu_tuning(pugi::xml_node domain, const CpuPinning& cpus);
void add_hyperv(pugi::xml_node features, const DomainSpec& spec);
// <topology> and, on AMD with SMT, the topoext feature.
void add_cpu_topology(pugi::xml_node cpu, const DomainSpec& spec);
// Our pcie-root-port at index `guest_bus` and one hostdev per GPU function on it.
void add_gpu(pugi::xml_node devices, const DomainSpec& spec, unsigned guest_bus);
// <input type='evdev'> for the keyboard and mouse asked for.
void add_evdev_inputs(pugi::xml_node devices, const DomainSpec& spec);
// <shmem name='looking-glass'> (shm kind only) and <memballoon model='none'/>.
void add_shmem_and_balloon(pugi::xml_node devices, const DomainSpec& spec);
[[nodiscard]] bool wants_qemu_args(const DomainSpec& spec);
// -acpitable, -qmp, kvmfr's -device/-object into an existing <qemu:commandline>.
void add_qemu_args(pugi::xml_node commandline, const DomainSpec& spec);
// Empty when no function has known subsystem ids: then there must be no override at all.
[[nodiscard]] std::vector<const GpuFunction*> functions_with_subsystem_ids(const DomainSpec& spec);
// One <qemu:device> per function with known subsystem ids into an existing <qemu:override>.
void add_override_devices(pugi::xml_node override_node, const DomainSpec& spec);

// The element and everything under it, libvirt's style (two-space indent, single quotes,
// "<a/>"), comments kept.
[[nodiscard]] std::string write_document(pugi::xml_node root);

}  // namespace periscope::setup::domain_xml
