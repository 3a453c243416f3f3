namespace Weft.Policy.Parsing;

/// <summary>Where a target appears; each place allows a different set of target kinds.</summary>
internal enum TargetUse
{
    RuleSource,
    RuleDestination,
    TagOwner,
    AutoApprover,
    TestSource,
    TestDestination,
}
