using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Weft.Control.Storage;

/// <summary>
/// <see cref="IChangeFeed"/> over PostgreSQL LISTEN/NOTIFY: changes go out with pg_notify on a shared channel,
/// tagged with this replica's random origin so it ignores its own; one dedicated connection listens and
/// reconnects when lost, asking for a resync because notifications sent while it was away are gone.
/// </summary>
public sealed partial class PostgresChangeFeed : IChangeFeed
{
    private readonly string _listenConnectionString;
    private readonly NpgsqlDataSource _publisher;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _origin = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Payloads in arrival order; null marks a gap after which the receiver resyncs.</summary>
    private readonly Channel<string?> _inbox = Channel.CreateUnbounded<string?>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _listening = Task.CompletedTask;
    private Task _applying = Task.CompletedTask;
    private int _reconnects;

    public PostgresChangeFeed(string connectionString, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _publisher = NpgsqlDataSource.Create(connectionString);
        _listenConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = PostgresConstants.ListenerApplicationName,
            KeepAlive = PostgresConstants.ListenerKeepAliveSeconds,
            Pooling = false,
        }.ConnectionString;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Times the listener reconnected after losing its connection (tests and diagnostics).</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    public async Task PublishAsync(Change change, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var payload = JsonSerializer.Serialize(new Envelope(_origin, change), ChangeJsonContext.Default.Envelope);
        await using var cmd = _publisher.CreateCommand("SELECT pg_notify(@c, @p)");
        cmd.Parameters.AddWithValue("c", PostgresConstants.ChangeChannel);
        cmd.Parameters.AddWithValue("p", payload);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task StartAsync(Func<Change, CancellationToken, Task> apply, Func<CancellationToken, Task> resync, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(apply);
        ArgumentNullException.ThrowIfNull(resync);
        var first = await ConnectAsync(ct).ConfigureAwait(false);
        _applying = Task.Run(() => ApplyLoopAsync(apply, resync, _stop.Token), CancellationToken.None);
        _listening = Task.Run(() => ListenLoopAsync(first, _stop.Token), CancellationToken.None);
    }

    /// <summary>Opens the listening connection and subscribes; notifications land in the inbox.</summary>
    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(_listenConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            connection.Notification += (_, e) => _inbox.Writer.TryWrite(e.Payload);
            await using var cmd = new NpgsqlCommand($"LISTEN {PostgresConstants.ChangeChannel}", connection);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ListenLoopAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using (connection)
                {
                    while (true)
                    {
                        await connection.WaitAsync(ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
            {
                LogListenerLost(_logger, e.Message);
            }

            connection = await ReconnectAsync(ct).ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                return;
            }

            // Whatever was announced while disconnected is lost: the receiver re-reads the store.
            Interlocked.Increment(ref _reconnects);
            _inbox.Writer.TryWrite(null);
            LogListenerBack(_logger);
        }
    }

    /// <summary>Retries until connected or stopped; returns a listening connection, or a closed one when stopped.</summary>
    private async Task<NpgsqlConnection> ReconnectAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await Task.Delay(PostgresConstants.ListenerReconnectDelay, _time, ct).ConfigureAwait(false);
                return await ConnectAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return new NpgsqlConnection();
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
            {
                LogListenerLost(_logger, e.Message);
            }
        }
    }

    private async Task ApplyLoopAsync(Func<Change, CancellationToken, Task> apply, Func<CancellationToken, Task> resync, CancellationToken ct)
    {
        try
        {
            await foreach (var payload in _inbox.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    if (payload is null)
                    {
                        await resync(ct).ConfigureAwait(false);
                        continue;
                    }

                    var envelope = JsonSerializer.Deserialize(payload, ChangeJsonContext.Default.Envelope);
                    if (envelope is null || envelope.Origin == _origin)
                    {
                        continue;
                    }

                    await apply(envelope.Change, ct).ConfigureAwait(false);
                }
                catch (JsonException e)
                {
                    LogBadPayload(_logger, e.Message);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or KeyNotFoundException or TimeoutException)
                {
                    // The map may now lag the store; a resync puts it right.
                    LogApplyFailed(_logger, e.Message);
                    _inbox.Writer.TryWrite(null);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _listening.ConfigureAwait(false);
        await _applying.ConfigureAwait(false);
        _stop.Dispose();
        await _publisher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What travels in a notification: the sender's origin and the change.</summary>
    internal sealed record Envelope([property: JsonPropertyName("o")] string Origin, [property: JsonPropertyName("c")] Change Change);
}

/// <summary>Source-generated JSON for change notifications.</summary>
[JsonSerializable(typeof(PostgresChangeFeed.Envelope))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
internal sealed partial class ChangeJsonContext : JsonSerializerContext;
