using System.Text.Json;
using Microsoft.Extensions.Logging;
using Weft.Core.Control;
using Weft.Core.Crypto;
using Weft.Core.Keys;

namespace Weft.Node.State;

/// <summary>
/// The daemon's state directory (0700): machine.key, state.json (profiles, prefs, pinned server keys) and
/// one netmap-PROFILE.json cache per profile, each 0600 and written atomically.
/// </summary>
public sealed partial class StateStore
{
    private const string MachineKeyFile = "machine.key";
    private const string StateFile = "state.json";

    private readonly ILogger _logger;

    // _gate serialises writers: the local API and the control loop both save.
    private readonly Lock _gate = new();

    private StateStore(string directory, PrivateKey machineKey, ILogger logger)
    {
        Directory = directory;
        MachineKey = machineKey;
        _logger = logger;
    }

    /// <summary>The state directory.</summary>
    public string Directory { get; }

    /// <summary>This device's machine key, created on first start and never changed.</summary>
    public PrivateKey MachineKey { get; }

    /// <summary>Opens (creating if needed) the state directory and its machine key.</summary>
    /// <exception cref="InvalidDataException">A state file exists but cannot be read; it is left untouched.</exception>
    public static StateStore Open(string directory, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the node daemon runs on Linux");
        }
        AtomicFile.EnsurePrivateDirectory(directory);
        var keyPath = Path.Combine(directory, MachineKeyFile);
        PrivateKey machineKey;
        if (File.Exists(keyPath))
        {
            var text = File.ReadAllText(keyPath).Trim();
            if (!KeyPrefix.TryParse(KeyPrefix.MachinePrivate, text, out var raw))
            {
                throw new InvalidDataException($"{keyPath} does not hold a machine key (\"{KeyPrefix.MachinePrivate}\" and 64 hex digits); move it away to start as a new device");
            }
            machineKey = new PrivateKey(raw);
            // A file made by hand or restored from a backup may be too open: tighten it, as the key is secret.
            File.SetUnixFileMode(keyPath, AtomicFile.PrivateFile);
        }
        else
        {
            machineKey = PrivateKey.Generate();
            AtomicFile.Write(keyPath, System.Text.Encoding.ASCII.GetBytes(KeyPrefix.MachinePrivate + machineKey.Key.ToHex() + "\n"));
            LogMachineKeyCreated(logger, new MachinePublic(machineKey.PublicKey()).ToString());
        }
        return new StateStore(directory, machineKey, logger);
    }

    /// <summary>Reads state.json; empty state when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not valid state.</exception>
    public PersistedState Load()
    {
        var path = Path.Combine(Directory, StateFile);
        if (!File.Exists(path))
        {
            return new PersistedState();
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StateJsonContext.Default.PersistedState)
                ?? throw new InvalidDataException($"{path} holds null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid daemon state ({ex.Message}); fix or move it away", ex);
        }
    }

    /// <summary>Replaces state.json.</summary>
    public void Save(PersistedState state)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(state, StateJsonContext.Default.PersistedState);
        lock (_gate)
        {
            AtomicFile.Write(Path.Combine(Directory, StateFile), bytes);
        }
    }

    /// <summary>Caches the last full netmap of a profile so the data plane can start without the server.</summary>
    public void SaveNetmap(string profileId, MapResponse full)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(full, StateJsonContext.Default.MapResponse);
        lock (_gate)
        {
            AtomicFile.Write(NetmapPath(profileId), bytes);
        }
    }

    /// <summary>The cached netmap of a profile, or null when there is none or it cannot be read (logged).</summary>
    public MapResponse? LoadNetmap(string profileId)
    {
        var path = NetmapPath(profileId);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StateJsonContext.Default.MapResponse);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // Only a cache: the server sends a fresh map once reachable.
            LogNetmapCacheUnreadable(_logger, path, ex.Message);
            return null;
        }
    }

    /// <summary>Forgets a profile's cached netmap (logout).</summary>
    public void DeleteNetmap(string profileId)
    {
        lock (_gate)
        {
            File.Delete(NetmapPath(profileId));
        }
    }

    private string NetmapPath(string profileId)
    {
        // Profile ids are ours (hex), but never let one walk out of the directory.
        if (profileId.Length == 0 || !profileId.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"profile id '{profileId}' is not alphanumeric", nameof(profileId));
        }
        return Path.Combine(Directory, $"netmap-{profileId}.json");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "created machine key {MachineKey}")]
    private static partial void LogMachineKeyCreated(ILogger logger, string machineKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cached netmap {Path} unreadable, waiting for the server's: {Reason}")]
    private static partial void LogNetmapCacheUnreadable(ILogger logger, string path, string reason);
}
