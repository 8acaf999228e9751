// `periscope setup plan | apply | rollback`. plan: what the setup would write and run to pass
// a GPU through, shown as diffs and commands, and the VM definition; nothing changes. apply:
// the same plan carried out through the apply engine (backups, manifest, atomic writes).
// rollback: the last apply undone. Exit status: 0 done, 1 refused (the reason says how to
// force) or failed, 2 bad usage, 3 rollback restored but with conflicts (kept aside) or a
// command (regenerate or undo) to run by hand.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "common/dimensions.hpp"
#include "common/file_bytes.hpp"
#include "common/log.hpp"
#include "setup/apply_engine.hpp"
#include "setup/command_runner.hpp"
#include "setup/domain_definition.hpp"
#include "setup/libvirt_domain.hpp"
#include "setup/libvirt_domain_from_machine.hpp"
#include "setup/libvirt_domain_patch.hpp"
#include "setup/machine_facts.hpp"
#include "setup/machine_reader_fs.hpp"
#include "setup/setup_plan_report.hpp"
#include "setup/setup_planner.hpp"

namespace periscope::app {

namespace {

struct SetupPlanArgs {
  std::string root{"/"};
  std::string shm{"shm"};
  std::string boot_entry{"separate"};
  std::string out;
  bool json{false};
  setup::PlanOptions options;
  // The VM definition's choices beyond the host plan.
  setup::DomainChoices domain;
  std::string existing_domain;  // a `virsh dumpxml` to patch instead of a new domain
  std::string virtiofs;         // HOST_DIR[:TAG]
};

// Who will run the viewer: --user, else whoever ran sudo on this machine, else the one
// ordinary account of a captured tree.
std::string default_user(const std::string& root, const setup::MachineFacts& facts) {
  if (root == "/") {
    for (const char* var : {"SUDO_USER", "USER"}) {
      const char* value = std::getenv(var);
      if (value != nullptr && *value != '\0' && std::string(value) != "root") return value;
    }
  }
  std::string only;
  for (const auto& [uid, name] : facts.host.user_names) {
    if (uid < 1000 || uid >= 60000) continue;
    if (!only.empty()) return {};
    only = name;
  }
  return only;
}

struct Planned {
  setup::PlanOutcome outcome;
  std::string domain_xml;  // empty when it could not be made (said why)
};

// What a file of ours holds now under --root (nullopt: absent). One that exists but cannot be
// read whole stops the plan: apply never replaces what it cannot see.
Result<std::optional<std::string>> current_text(const setup::MachineReader& reader,
                                                const std::string& path) {
  auto info = reader.stat(path);
  if (!info) return std::optional<std::string>();
  auto text = reader.read_file(path, 4u << 20);
  if (!text) return tl::unexpected(text.error());
  return std::optional<std::string>(std::move(*text));
}

// The VM's definition joins the plan: apply defines it with virsh, rollback undefines it.
Status define_domain(const setup::MachineReader& reader, const setup::MachineFacts& facts,
                     const SetupPlanArgs& args, const std::string& xml, const std::string& existing,
                     Planned& planned) {
  setup::DomainDefinition definition;
  definition.vm = args.options.vm;
  definition.xml = xml;
  if (!args.existing_domain.empty()) definition.original = existing;
  auto current = current_text(reader, setup::domain_file_path(args.options.vm));
  if (!current) return tl::unexpected(current.error());
  definition.current = std::move(*current);
  auto current_original = current_text(reader, setup::domain_original_path(args.options.vm));
  if (!current_original) return tl::unexpected(current_original.error());
  definition.current_original = std::move(*current_original);
  const auto& libvirt = facts.host.libvirt;
  definition.virsh = std::find(libvirt.begin(), libvirt.end(), "/usr/bin/virsh") != libvirt.end();
  const auto& names = facts.host.vm_names;
  definition.defined = std::find(names.begin(), names.end(), args.options.vm) != names.end();
  return setup::add_domain_definition(definition, planned.outcome);
}

// Reads the machine under --root and plans; shared by plan and apply so both act on the very
// same plan.
Result<Planned> make_plan(SetupPlanArgs& args) {
  auto reader = setup::FsMachineReader::open(args.root);
  if (!reader) return tl::unexpected(reader.error());
  args.options.shm = args.shm == "kvmfr" ? setup::ShmKind::kKvmfr : setup::ShmKind::kShmFile;
  args.options.boot_entry = args.boot_entry == "default" ? setup::BootEntryMode::kDefault
                                                         : setup::BootEntryMode::kSeparate;
  const setup::MachineFacts facts = setup::gather_machine_facts(*reader);
  if (args.options.user.empty()) args.options.user = default_user(args.root, facts);
  const setup::HostDetection host = setup::detect_host(*reader, facts);
  auto outcome = setup::make_setup_plan(facts, host, args.options);
  if (!outcome) return tl::unexpected(outcome.error());
  Planned planned{std::move(*outcome), {}};
  if (!planned.outcome.refused() && planned.outcome.gpu) {
    // The VM definition for the same GPU and shared memory.
    setup::DomainChoices choices = args.domain;
    choices.vm_name = args.options.vm;
    if (!args.virtiofs.empty()) {
      const auto colon = args.virtiofs.find(':');
      choices.virtiofs = setup::VirtiofsShare{
          args.virtiofs.substr(0, colon),
          colon == std::string::npos ? std::string("host") : args.virtiofs.substr(colon + 1)};
    }
    choices.shm_kind = args.options.shm;
    if (auto size = parse_dimensions(args.options.resolution)) {
      choices.resolution = *size;
    }
    auto spec = setup::domain_spec_from_machine(facts, planned.outcome.gpu->gpu, choices);
    // A user's domain is untrusted input like any file: bounded, and parsed by pugixml.
    std::string existing;
    if (!args.existing_domain.empty()) {
      auto bytes = read_file_bytes(args.existing_domain, 16u << 20);
      if (!bytes) return tl::unexpected(bytes.error());
      existing.assign(bytes->begin(), bytes->end());
    }
    auto xml = !spec                          ? Result<std::string>(tl::unexpected(spec.error()))
               : args.existing_domain.empty() ? setup::generate_domain_xml(*spec)
                                              : setup::patch_domain_xml(existing, *spec);
    if (xml) {
      planned.domain_xml = std::move(*xml);
      auto defined = define_domain(*reader, facts, args, planned.domain_xml, existing, planned);
      if (!defined) return tl::unexpected(defined.error());
    } else {
      spdlog::warn("no VM definition: {}", xml.error().message);
    }
  }
  return planned;
}

int run_setup_plan(SetupPlanArgs args) {
  auto planned = make_plan(args);
  if (!planned) {
    spdlog::error("cannot plan: {}", planned.error().message);
    return planned.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  const setup::PlanOutcome& outcome = planned->outcome;
  if (args.json) {
    auto json = setup::plan_json(outcome);
    json["domain_xml"] = planned->domain_xml;
    std::puts(json.dump(2).c_str());
  } else {
    const std::string text = setup::plan_text(outcome);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!planned->domain_xml.empty()) {
      std::printf(
          "\nThe VM definition (libvirt domain '%s') is above: apply defines it with virsh and "
          "rollback undefines it; --out DIR also writes it as DIR/domain.xml.\n",
          args.options.vm.c_str());
    }
  }
  std::fflush(stdout);
  if (outcome.refused()) return 1;
  if (!args.out.empty()) {
    auto written = setup::write_plan_files(outcome.plan, args.out);
    if (!written) {
      spdlog::error("{}", written.error().message);
      return 1;
    }
    std::size_t files = *written;
    if (!planned->domain_xml.empty()) {
      if (auto domain = write_text_atomic(args.out + "/domain.xml", planned->domain_xml); !domain) {
        spdlog::error("{}", domain.error().message);
        return 1;
      }
      ++files;
    }
    if (!args.json) std::printf("\nWrote %zu proposed files under %s\n", files, args.out.c_str());
  }
  return 0;
}

// The running machine is changed by running the plan's commands; a captured tree (--root) only
// records them.
struct Runners {
  setup::SubprocessRunner real;
  setup::RecordingRunner recording;
  setup::CommandRunner* pick(const std::string& root) {
    return std::filesystem::weakly_canonical(root) == "/"
               ? static_cast<setup::CommandRunner*>(&real)
               : &recording;
  }
};

bool needs_root_user(const std::string& root) {
  if (std::filesystem::weakly_canonical(root) != "/" || ::geteuid() == 0) return false;
  spdlog::error("changing this machine needs root: run with sudo (or use --root DIR)");
  return true;
}

int run_setup_apply(SetupPlanArgs args, bool yes) {
  if (needs_root_user(args.root)) return 1;
  auto planned = make_plan(args);
  if (!planned) {
    spdlog::error("cannot plan: {}", planned.error().message);
    return planned.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  if (planned->outcome.refused()) {
    const std::string text = setup::plan_text(planned->outcome);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 1;
  }
  const setup::SetupPlan& plan = planned->outcome.plan;
  Runners runners;
  setup::ApplyOptions options;
  options.root = args.root;
  options.runner = runners.pick(args.root);
  for (const auto& warning : plan.warnings) spdlog::warn("{}", warning);
  // The dry run first: what would change, then the question.
  auto preview = setup::preview_apply(plan, options);
  if (!preview) {
    spdlog::error("{}", preview.error().message);
    return 1;
  }
  std::fputs(setup::apply_report_text(*preview).c_str(), stdout);
  if (preview->outcome != setup::ApplyOutcome::kPreview) return 0;  // nothing to do
  if (!yes) {
    if (!::isatty(STDIN_FILENO)) {
      spdlog::error("stdin is not a terminal: pass --yes to apply without asking");
      return 1;
    }
    std::fputs("Apply these changes? Every original is backed up first. [y/N] ", stdout);
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::puts("Nothing changed.");
      return 1;
    }
  }
  options.after_step = [](const setup::ApplyStep& step) {
    if (step.kind == setup::ApplyStep::Kind::kFileWritten) spdlog::info("wrote {}", step.detail);
  };
  auto report = setup::apply_plan(plan, options);
  if (!report) {
    spdlog::error("{}", report.error().message);
    return 1;
  }
  std::fputs(setup::apply_report_text(*report).c_str(), stdout);
  const auto o = report->outcome;
  const bool ok = o == setup::ApplyOutcome::kApplied || o == setup::ApplyOutcome::kNothingToDo ||
                  o == setup::ApplyOutcome::kAlreadyApplied;
  if (ok) {
    for (const auto& step : planned->outcome.next_steps) std::printf("next: %s\n", step.c_str());
  }
  return ok ? 0 : 1;
}

int run_setup_rollback(const std::string& root) {
  if (needs_root_user(root)) return 1;
  Runners runners;
  setup::ApplyOptions options;
  options.root = root;
  options.runner = runners.pick(root);
  auto report = setup::rollback_last(options);
  if (!report) {
    spdlog::error("{}", report.error().message);
    return 1;
  }
  std::fputs(setup::rollback_report_text(*report).c_str(), stdout);
  // 3: restored, but a file had been edited since apply (kept beside it), or a regenerate
  // command or an undo failed (the report names it, to run by hand). (2 stays "bad usage",
  // as for every command.)
  return report->has_conflicts() || report->regenerate_failed() || report->undo_failed() ? 3 : 0;
}

// The options `plan` and `apply` share: apply carries out exactly what plan shows.
void add_plan_options(CLI::App* cmd, SetupPlanArgs& args) {
  cmd->add_option("--root", args.root,
                  "a captured tree under this directory instead of the running machine (apply: "
                  "commands are recorded, not run)")
      ->capture_default_str();
  cmd->add_option("--gpu", args.options.gpu,
                  "the GPU to pass through (default: the doctor's pick)");
  cmd->add_option("--resolution", args.options.resolution,
                  "the guest's largest resolution WxH: sizes the shared memory")
      ->capture_default_str();
  cmd->add_option("--shm", args.shm, "shared memory: a /dev/shm file or the kvmfr device")
      ->check(CLI::IsMember({"shm", "kvmfr"}))
      ->capture_default_str();
  cmd->add_option("--vm", args.options.vm, "the VM's name")->capture_default_str();
  cmd->add_option("--boot-entry", args.boot_entry,
                  "separate: a new boot entry binds the GPU and the default entry stays as it "
                  "was (safest); default: the default entry binds it")
      ->check(CLI::IsMember({"separate", "default"}))
      ->capture_default_str();
  cmd->add_option("--user", args.options.user,
                  "who runs the viewer (owner of the shared memory); default: the sudo user");
  cmd->add_option("--memory", args.domain.memory_mib, "the VM's memory in MiB")
      ->capture_default_str();
  cmd->add_option("--rom", args.domain.rom_file,
                  "a GPU option ROM for the VM (check it with `periscope rom check`)");
  cmd->add_flag("--secure-boot", args.domain.secure_boot, "OVMF with Secure Boot (Windows 11)");
  cmd->add_option("--evdev-keyboard", args.domain.evdev_keyboard,
                  "pass this /dev/input/by-id/...-event-kbd to the VM (toggle with both Ctrl)");
  cmd->add_option("--evdev-mouse", args.domain.evdev_mouse,
                  "pass this /dev/input/by-id/...-event-mouse to the VM");
  cmd->add_option("--virtiofs", args.virtiofs, "share HOST_DIR[:TAG] with the VM (virtiofs)");
  cmd->add_option("--existing-domain", args.existing_domain,
                  "patch this domain (`virsh dumpxml NAME`) instead of making a new one: only "
                  "the passthrough parts change");
  cmd->add_flag("--force", args.options.force,
                "plan what is refused (the only GPU, the boot GPU, a shared IOMMU group), with "
                "loud warnings");
}

}  // namespace

void add_setup_command(CLI::App& app, int& exit_code) {
  auto* setup_cmd = app.add_subcommand("setup", "set the host up for GPU passthrough");
  setup_cmd->require_subcommand(1);
  auto* plan = setup_cmd->add_subcommand(
      "plan",
      "show the files and commands that would bind the GPU to vfio-pci and share memory "
      "with the VM, and the VM definition (changes nothing)");
  auto args = std::make_shared<SetupPlanArgs>();
  add_plan_options(plan, *args);
  plan->add_option("--out", args->out,
                   "also write each proposed file under this directory, and the VM as domain.xml");
  plan->add_flag("--json", args->json, "print the plan as JSON");
  plan->callback([args, &exit_code] { exit_code = run_setup_plan(*args); });

  auto* apply = setup_cmd->add_subcommand(
      "apply",
      "carry the plan out: show it, ask, back up every file, write each atomically, run the "
      "commands (stops at the first failure); `setup rollback` undoes it");
  auto apply_args = std::make_shared<SetupPlanArgs>();
  auto yes = std::make_shared<bool>(false);
  add_plan_options(apply, *apply_args);
  apply->add_flag("--yes", *yes, "do not ask");
  apply->callback(
      [apply_args, yes, &exit_code] { exit_code = run_setup_apply(*apply_args, *yes); });

  auto* rollback = setup_cmd->add_subcommand(
      "rollback",
      "restore every file the last apply changed, byte for byte, and re-run the regenerate "
      "commands (initramfs, boot menu)");
  auto rollback_root = std::make_shared<std::string>("/");
  rollback->add_option("--root", *rollback_root, "the tree apply changed")->capture_default_str();
  rollback->callback(
      [rollback_root, &exit_code] { exit_code = run_setup_rollback(*rollback_root); });
}

}  // namespace periscope::app
