using System.Reflection;

namespace Weft.Integration.Tests;

/// <summary>Dependencies point down (ARCHITECTURE.md): these fail the build's tests when a layer reaches up or sideways.</summary>
public sealed class ArchitectureTests
{
    public static TheoryData<string, string[]> Layers => new()
    {
        { "Weft.Core", [] },
        { "Weft.WireGuard", ["Weft.Core"] },
        { "Weft.Policy", ["Weft.Core"] },
        { "Weft.Control", ["Weft.Core", "Weft.Policy", "Weft.Relay"] },
        { "Weft.Relay", ["Weft.Core"] },
        { "Weft.Node", ["Weft.Core", "Weft.WireGuard", "Weft.Relay"] },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Assembly_ReferencesOnlyLayersBelowIt(string name, string[] allowed)
    {
        var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        if (!File.Exists(path))
        {
            Assert.Fail($"{name}.dll is not next to the tests: the weft executable should reference it");
        }
        var references = Assembly.LoadFrom(path).GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(r => r.StartsWith("Weft", StringComparison.Ordinal))
            .ToArray();
        Assert.All(references, r => Assert.Contains(r, allowed));
    }
}
