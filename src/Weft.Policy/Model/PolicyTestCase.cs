namespace Weft.Policy.Model;

/// <summary>One entry of the "tests" section: <see cref="Source"/> must reach every accept and no deny destination.</summary>
internal sealed record PolicyTestCase(Target Source, IReadOnlyList<TestDestination> Accept, IReadOnlyList<TestDestination> Deny, int Protocol, int Line, int Column);

/// <summary>A test destination: one target and one port, as written ("tag:server:22").</summary>
internal sealed record TestDestination(Target Target, ushort Port, string Text);
