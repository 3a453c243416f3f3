using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Weft.WireGuard.Tests.Uapi;

/// <summary>Keeps every formatted log line (and exception text) so tests can check what would be logged.</summary>
internal sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");

    public string All => string.Join("\n", Lines);
}
