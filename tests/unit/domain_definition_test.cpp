// The VM's definition in the plan: a file we own plus `virsh define`, undone on rollback by
// undefining a new VM or by defining a patched VM's original again; nothing when nothing
// changed; a new VM never replaces one libvirt already has.
#include <gtest/gtest.h>

#include "setup/domain_definition.hpp"

namespace periscope::setup {
namespace {

DomainDefinition new_vm() {
  DomainDefinition d;
  d.vm = "win11";
  d.xml = "<domain type='kvm'><name>win11</name></domain>\n";
  d.virsh = true;
  return d;
}

TEST(DomainDefinition, ANewVmIsWrittenAndDefinedAndRollbackUndefinesIt) {
  PlanOutcome outcome;
  ASSERT_TRUE(add_domain_definition(new_vm(), outcome));
  ASSERT_EQ(outcome.plan.files.size(), 1U);
  EXPECT_EQ(outcome.plan.files[0].path, "/etc/periscope/domains/win11.xml");
  EXPECT_EQ(outcome.plan.files[0].content, new_vm().xml);
  ASSERT_EQ(outcome.plan.commands.size(), 1U);
  EXPECT_EQ(outcome.plan.commands[0].argv,
            (std::vector<std::string>{"virsh", "--connect", "qemu:///system", "define",
                                      "/etc/periscope/domains/win11.xml"}));
  EXPECT_EQ(outcome.plan.commands[0].undo,
            (std::vector<std::string>{"virsh", "--connect", "qemu:///system", "undefine", "--nvram",
                                      "win11"}));
  EXPECT_FALSE(outcome.originals.at("/etc/periscope/domains/win11.xml").has_value());
}

TEST(DomainDefinition, AlreadyDefinedByUsNothingToDo) {
  DomainDefinition d = new_vm();
  d.defined = true;
  d.current = d.xml;
  PlanOutcome outcome;
  ASSERT_TRUE(add_domain_definition(d, outcome));
  EXPECT_TRUE(outcome.plan.files.empty());
  EXPECT_TRUE(outcome.plan.commands.empty());
  EXPECT_EQ(outcome.unchanged, (std::vector<std::string>{"/etc/periscope/domains/win11.xml"}));
}

TEST(DomainDefinition, SomeoneElsesVmOfTheSameNameIsRefused) {
  DomainDefinition d = new_vm();
  d.defined = true;
  PlanOutcome outcome;
  auto added = add_domain_definition(d, outcome);
  ASSERT_FALSE(added);
  EXPECT_NE(added.error().message.find("--existing-domain"), std::string::npos);
  EXPECT_TRUE(outcome.plan.files.empty());
}

TEST(DomainDefinition, APatchedVmKeepsItsOriginalForRollback) {
  DomainDefinition d = new_vm();
  d.defined = true;
  d.original = "<domain type='kvm'><name>win11</name><!-- theirs --></domain>\n";
  PlanOutcome outcome;
  ASSERT_TRUE(add_domain_definition(d, outcome));
  ASSERT_EQ(outcome.plan.files.size(), 2U);
  EXPECT_EQ(outcome.plan.files[0].path, "/etc/periscope/domains/win11.before.xml");
  EXPECT_EQ(outcome.plan.files[0].content, *d.original);
  EXPECT_EQ(outcome.plan.files[0].mode, 0600U);
  ASSERT_EQ(outcome.plan.commands.size(), 1U);
  EXPECT_EQ(outcome.plan.commands[0].undo,
            (std::vector<std::string>{"virsh", "--connect", "qemu:///system", "define",
                                      "/etc/periscope/domains/win11.before.xml"}));
}

TEST(DomainDefinition, NoLibvirtNoDefinitionAndHostileNamesAreRefused) {
  DomainDefinition d = new_vm();
  d.virsh = false;
  PlanOutcome outcome;
  ASSERT_TRUE(add_domain_definition(d, outcome));
  EXPECT_TRUE(outcome.plan.files.empty());
  EXPECT_TRUE(outcome.plan.commands.empty());
  EXPECT_FALSE(outcome.next_steps.empty());
  for (const char* name : {"", "../etc/passwd", ".hidden", "a b", "x/y"}) {
    DomainDefinition bad = new_vm();
    bad.vm = name;
    PlanOutcome o;
    EXPECT_FALSE(add_domain_definition(bad, o)) << name;
    EXPECT_TRUE(o.plan.files.empty()) << name;
  }
}

}  // namespace
}  // namespace periscope::setup
