using Microsoft.Extensions.Logging.Abstractions;
using Weft.Node.State;
using Weft.Node.Tests.ControlLoop;

namespace Weft.Node.Tests.State;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StateStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("weft-node-state-").FullName;

    private string Dir => Path.Combine(_root, "state");

    [Fact]
    public void Open_CreatesAPrivateDirectoryAndMachineKey()
    {
        StateStore.Open(Dir, NullLogger.Instance);

        Assert.Equal(AtomicFile.PrivateDirectory, File.GetUnixFileMode(Dir));
        Assert.Equal(AtomicFile.PrivateFile, File.GetUnixFileMode(Path.Combine(Dir, "machine.key")));
        Assert.StartsWith("privkey:", File.ReadAllText(Path.Combine(Dir, "machine.key")), StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Again_KeepsTheMachineKey()
    {
        var first = StateStore.Open(Dir, NullLogger.Instance);
        var second = StateStore.Open(Dir, NullLogger.Instance);

        Assert.Equal(first.MachineKey.PublicKey(), second.MachineKey.PublicKey());
    }

    [Fact]
    public void Open_TightensATooOpenKeyFile()
    {
        StateStore.Open(Dir, NullLogger.Instance);
        var key = Path.Combine(Dir, "machine.key");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        StateStore.Open(Dir, NullLogger.Instance);

        Assert.Equal(AtomicFile.PrivateFile, File.GetUnixFileMode(key));
    }

    [Fact]
    public void Open_GarbledMachineKey_FailsClearly_AndLeavesTheFile()
    {
        Directory.CreateDirectory(Dir);
        File.WriteAllText(Path.Combine(Dir, "machine.key"), "garbage");

        var error = Assert.Throws<InvalidDataException>(() => StateStore.Open(Dir, NullLogger.Instance));

        Assert.Contains("machine.key", error.Message, StringComparison.Ordinal);
        Assert.Equal("garbage", File.ReadAllText(Path.Combine(Dir, "machine.key")));
    }

    [Fact]
    public void Save_ThenLoad_RoundTrips_InA0600File_WithNoTemporaryLeft()
    {
        var store = StateStore.Open(Dir, NullLogger.Instance);
        var state = new PersistedState
        {
            CurrentProfile = "ab12",
            ServerKeys = new Dictionary<string, string> { ["http://10.0.0.1:8080"] = new string('a', 64) },
            Profiles = [new ProfileState
            {
                Id = "ab12",
                NodePrivate = new string('b', 64),
                Registered = true,
                Login = "alice@example.com",
                KeyExpiry = new DateTimeOffset(2027, 5, 1, 0, 0, 0, TimeSpan.Zero),
                Prefs = new NodePrefs { LoginServer = "http://10.0.0.1:8080", Hostname = "laptop", AcceptDns = true, WantRunning = true },
            }],
        };

        store.Save(state);
        var loaded = StateStore.Open(Dir, NullLogger.Instance).Load();

        Assert.Equal(AtomicFile.PrivateFile, File.GetUnixFileMode(Path.Combine(Dir, "state.json")));
        Assert.Equal("ab12", loaded.CurrentProfile);
        Assert.Equal(state.Profiles[0], loaded.Profiles[0] with { Prefs = loaded.Profiles[0].Prefs with { AdvertiseTags = state.Profiles[0].Prefs.AdvertiseTags } });
        Assert.Equal(new string('a', 64), loaded.ServerKeys["http://10.0.0.1:8080"]);
        Assert.DoesNotContain(Directory.GetFiles(Dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_Nothing_IsEmptyState() =>
        Assert.Empty(StateStore.Open(Dir, NullLogger.Instance).Load().Profiles);

    [Fact]
    public void Load_CorruptState_Throws_AndKeepsTheFileForInspection()
    {
        var store = StateStore.Open(Dir, NullLogger.Instance);
        File.WriteAllText(Path.Combine(Dir, "state.json"), "{ not json");

        Assert.Throws<InvalidDataException>(store.Load);
        Assert.Equal("{ not json", File.ReadAllText(Path.Combine(Dir, "state.json")));
    }

    [Fact]
    public void Netmap_IsCachedPerProfile_AndCorruptCacheReadsAsNone()
    {
        var store = StateStore.Open(Dir, NullLogger.Instance);
        var full = TestNodes.Full(TestNodes.Make(1), TestNodes.Make(2, "10.0.0.2:41641"));

        store.SaveNetmap("ab12", full);
        var loaded = store.LoadNetmap("ab12");

        Assert.NotNull(loaded);
        Assert.Equal(full.Self!.NodeKey, loaded.Self!.NodeKey);
        Assert.Equal(full.Self.Addresses, loaded.Self.Addresses);
        Assert.Equal(full.Peers![0].Endpoints, loaded.Peers![0].Endpoints);
        Assert.Equal(AtomicFile.PrivateFile, File.GetUnixFileMode(Path.Combine(Dir, "netmap-ab12.json")));
        Assert.Null(store.LoadNetmap("cd34"));

        File.WriteAllText(Path.Combine(Dir, "netmap-ab12.json"), "[1,2");
        Assert.Null(store.LoadNetmap("ab12"));

        store.DeleteNetmap("ab12");
        Assert.False(File.Exists(Path.Combine(Dir, "netmap-ab12.json")));
    }

    [Fact]
    public void Netmap_ProfileIdCannotLeaveTheDirectory() =>
        Assert.Throws<ArgumentException>(() => StateStore.Open(Dir, NullLogger.Instance).LoadNetmap("../x"));

    [Fact]
    public void AtomicWrite_ReplacesTheWholeFile()
    {
        Directory.CreateDirectory(Dir);
        var path = Path.Combine(Dir, "f");
        AtomicFile.Write(path, new byte[1000]);

        AtomicFile.Write(path, "short"u8);

        Assert.Equal("short", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Dir));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
