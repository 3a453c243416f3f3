using Weft.Control.Storage;
using Weft.Control.Tests.Fixtures;

namespace Weft.Control.Tests.Storage;

/// <summary>The store contract against <see cref="PostgresControlStore"/>, one database per test on the assembly's PostgreSQL server.</summary>
public sealed class ControlStoreContractPostgresTests(PostgresServer server) : ControlStoreContractTests
{
    private string? _connectionString;

    protected override async Task CreateDatabaseAsync(CancellationToken ct) => _connectionString = await server.CreateDatabaseAsync(ct);

    protected override async Task<IControlStore> OpenStoreCoreAsync(CancellationToken ct) =>
        await PostgresControlStore.OpenAsync(_connectionString!, ct);

    protected override Task<IReadOnlyList<int>> AppliedMigrationsAsync(IControlStore store, CancellationToken ct) =>
        ((PostgresControlStore)store).AppliedMigrationsAsync(ct);

    protected override Task DropDatabaseAsync() => _connectionString is null ? Task.CompletedTask : server.DropDatabaseAsync(_connectionString);
}
