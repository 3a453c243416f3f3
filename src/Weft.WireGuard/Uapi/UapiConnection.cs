namespace Weft.WireGuard.Uapi;

/// <summary>One client of a <see cref="UapiServer"/>: reads requests one after another and answers each.</summary>
internal sealed class UapiConnection
{
    private readonly Stream _stream;
    private readonly UapiServer _server;

    public UapiConnection(Stream stream, UapiServer server)
    {
        _stream = stream;
        _server = server;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var reader = new UapiLineReader(_stream);
        using var answer = new UapiAnswerWriter();
        while (true)
        {
            var status = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (status == UapiLineStatus.End)
            {
                return;
            }
            if (status == UapiLineStatus.TooLong)
            {
                await FailAndCloseAsync(answer, UapiErrno.IO, $"a line is longer than {UapiConstants.MaxLineLength} bytes", cancellationToken).ConfigureAwait(false);
                return;
            }
            bool keepOpen;
            if (reader.Line.SequenceEqual(UapiConstants.GetOperation))
            {
                keepOpen = await GetAsync(reader, answer, cancellationToken).ConfigureAwait(false);
            }
            else if (reader.Line.SequenceEqual(UapiConstants.SetOperation))
            {
                keepOpen = await SetAsync(reader, answer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Without a known operation there is no telling where this request ends, so the
                // connection cannot continue (wireguard-go closes it without an answer; we answer first).
                await FailAndCloseAsync(answer, UapiErrno.Protocol, $"unknown operation (a line of {reader.Line.Length} characters, not quoted: it may be a pasted key)", cancellationToken).ConfigureAwait(false);
                return;
            }
            if (!keepOpen)
            {
                return;
            }
        }
    }

    private async ValueTask<bool> GetAsync(UapiLineReader reader, UapiAnswerWriter answer, CancellationToken cancellationToken)
    {
        var status = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (status == UapiLineStatus.TooLong)
        {
            await FailAndCloseAsync(answer, UapiErrno.IO, $"a line is longer than {UapiConstants.MaxLineLength} bytes", cancellationToken).ConfigureAwait(false);
            return false;
        }
        if (status == UapiLineStatus.Line && !reader.Line.IsEmpty)
        {
            // A get takes no arguments: skip to the blank line so the next request is read in step.
            var what = $"unexpected line of {reader.Line.Length} characters after get=1";
            var end = await SkipToBlankLineAsync(reader, cancellationToken).ConfigureAwait(false);
            UapiServer.Log.RequestFailed(_server.Logger, "get", (int)UapiErrno.Invalid, what);
            return await AnswerAsync(answer, UapiErrno.Invalid, cancellationToken).ConfigureAwait(false) && end;
        }
        var state = _server.GetState();
        if (state is null)
        {
            return await AnswerAsync(answer, UapiErrno.Unknown, cancellationToken).ConfigureAwait(false) && status == UapiLineStatus.Line;
        }
        try
        {
            UapiSerializer.WriteGet(state, answer);
        }
        finally
        {
            state.ClearSecrets();
        }
        return await AnswerAsync(answer, UapiErrno.None, cancellationToken).ConfigureAwait(false) && status == UapiLineStatus.Line;
    }

    private async ValueTask<bool> SetAsync(UapiLineReader reader, UapiAnswerWriter answer, CancellationToken cancellationToken)
    {
        var builder = new UapiSetBuilder();
        var status = UapiLineStatus.End;
        while (true)
        {
            status = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (status == UapiLineStatus.TooLong)
            {
                builder.Finish(out _, out _);
                await FailAndCloseAsync(answer, UapiErrno.IO, $"a line is longer than {UapiConstants.MaxLineLength} bytes", cancellationToken).ConfigureAwait(false);
                return false;
            }
            // The end of input ends a request like the blank line does (wireguard-go applies it too).
            if (status == UapiLineStatus.End || reader.Line.IsEmpty)
            {
                break;
            }
            builder.Feed(reader.Line);
        }
        var errno = builder.Finish(out var request, out var error);
        if (request is not null)
        {
            try
            {
                errno = _server.Apply(request);
                error = errno == UapiErrno.None ? null : "the device refused the request";
            }
            finally
            {
                request.ClearSecrets();
            }
        }
        if (errno != UapiErrno.None)
        {
            UapiServer.Log.RequestFailed(_server.Logger, "set", (int)errno, error ?? "unknown");
        }
        return await AnswerAsync(answer, errno, cancellationToken).ConfigureAwait(false) && status == UapiLineStatus.Line;
    }

    /// <summary>Reads through the next blank line; false when the input ended (or overflowed) first.</summary>
    private static async ValueTask<bool> SkipToBlankLineAsync(UapiLineReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (status != UapiLineStatus.Line)
            {
                return false;
            }
            if (reader.Line.IsEmpty)
            {
                return true;
            }
        }
    }

    private async ValueTask<bool> AnswerAsync(UapiAnswerWriter answer, UapiErrno errno, CancellationToken cancellationToken)
    {
        UapiSerializer.WriteErrno(errno, answer);
        await answer.SendAsync(_stream, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async ValueTask FailAndCloseAsync(UapiAnswerWriter answer, UapiErrno errno, string what, CancellationToken cancellationToken)
    {
        UapiServer.Log.ConnectionDropped(_server.Logger, what);
        await AnswerAsync(answer, errno, cancellationToken).ConfigureAwait(false);
    }
}
