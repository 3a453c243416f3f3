namespace Weft.WireGuard.Tests;

/// <summary>
/// Skips a test whose capability (root, a tool, a kernel feature) is missing, except where the lab is
/// required (WEFT_REQUIRE_LAB=1, as in CI): there a missing capability fails the test instead.
/// </summary>
internal static class LabSkip
{
    public static void Because(string reason)
    {
        if (Environment.GetEnvironmentVariable("WEFT_REQUIRE_LAB") == "1")
        {
            Assert.Fail($"lab required (WEFT_REQUIRE_LAB=1) but {reason}");
        }
        Assert.Skip(reason);
    }
}
