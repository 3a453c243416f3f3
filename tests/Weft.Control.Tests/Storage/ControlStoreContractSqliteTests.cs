using Weft.Control.Storage;

namespace Weft.Control.Tests.Storage;

/// <summary>The store contract against <see cref="SqliteControlStore"/>, one database file in a temporary directory per test.</summary>
public sealed class ControlStoreContractSqliteTests : ControlStoreContractTests
{
    private readonly TempDir _dir = new();

    protected override Task CreateDatabaseAsync(CancellationToken ct) => Task.CompletedTask;

    protected override async Task<IControlStore> OpenStoreCoreAsync(CancellationToken ct) =>
        await SqliteControlStore.OpenAsync(_dir.File(ControlConstants.DatabaseFile), ct);

    protected override Task<IReadOnlyList<int>> AppliedMigrationsAsync(IControlStore store, CancellationToken ct) =>
        ((SqliteControlStore)store).AppliedMigrationsAsync(ct);

    protected override Task DropDatabaseAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
