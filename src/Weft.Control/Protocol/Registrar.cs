using Weft.Control.Map;
using Weft.Control.Storage;
using Weft.Core.Control;
using Weft.Core.Keys;

namespace Weft.Control.Protocol;

/// <summary>Answers RegisterRequests: auth keys, interactive logins and their follow-ups, node key rotation.</summary>
internal sealed class Registrar(ControlService service, string baseUrl, RegistrationRateLimiter limiter, System.Net.IPAddress source)
{
    /// <summary>The error a rate-limited registration gets (HTTP 429's meaning, as a protocol error).</summary>
    public const string RateLimitedError = "too many registration attempts from this address (429); retry in a minute";

    public async Task<RegisterResponse> RegisterAsync(string machineKey, RegisterRequest request, CancellationToken ct)
    {
        if (!limiter.TryAcquire(source))
        {
            return new RegisterResponse { Error = RateLimitedError };
        }

        if (!NodePublic.TryParse(request.NodeKey, out _))
        {
            return new RegisterResponse { Error = "node key is not \"nodekey:\" followed by 64 hex digits" };
        }

        var now = service.Time.GetUtcNow();
        var existing = await service.Store.GetNodeByNodeKeyAsync(request.NodeKey, ct).ConfigureAwait(false);
        if (existing is null && request.OldNodeKey is not null)
        {
            existing = await service.Store.GetNodeByNodeKeyAsync(request.OldNodeKey, ct).ConfigureAwait(false);
        }

        if (existing is not null && existing.MachineKey != machineKey)
        {
            return new RegisterResponse { Error = "node key belongs to another machine" };
        }

        if (request.AuthKey is not null)
        {
            return await WithAuthKeyAsync(machineKey, request, existing, now, ct).ConfigureAwait(false);
        }

        if (existing is not null && existing.Authorized && !existing.IsExpired(now))
        {
            if (existing.NodeKey != request.NodeKey)
            {
                // Rotation: same node, same addresses, new key.
                existing = existing with { NodeKey = request.NodeKey };
                await service.UpdateNodeAsync(existing, ct).ConfigureAwait(false);
            }

            return new RegisterResponse { Authorized = true, KeyExpiry = existing.KeyExpiry, Login = await LoginOfAsync(existing, ct).ConfigureAwait(false) };
        }

        if (request.Followup is not null)
        {
            return await FollowupAsync(request.Followup, machineKey, ct).ConfigureAwait(false);
        }

        var pending = await service.AddPendingAsync(machineKey, request, ct).ConfigureAwait(false);
        return new RegisterResponse { AuthUrl = $"{baseUrl.TrimEnd('/')}/register/{pending.Id}" };
    }

    private async Task<RegisterResponse> WithAuthKeyAsync(string machineKey, RegisterRequest request, NodeRecord? existing, DateTimeOffset now, CancellationToken ct)
    {
        var (check, key) = await service.Store.UseAuthKeyAsync(request.AuthKey!, now, ct).ConfigureAwait(false);
        switch (check)
        {
            case AuthKeyCheck.Unknown:
                return new RegisterResponse { Error = "auth key not found" };
            case AuthKeyCheck.Expired:
                return new RegisterResponse { Error = "auth key expired" };
            case AuthKeyCheck.UsedUp:
                return new RegisterResponse { Error = "auth key already used" };
        }

        var tailnet = (await service.Store.GetTailnetAsync(key!.TailnetId, ct).ConfigureAwait(false))!;
        var expiry = tailnet.KeyExpiryDays > 0 ? now.AddDays(tailnet.KeyExpiryDays) : (DateTimeOffset?)null;
        existing ??= await service.Store.GetNodeByMachineAsync(key.TailnetId, machineKey, key.UserId, ct).ConfigureAwait(false);
        var tags = key.Tags.Count > 0 ? key.Tags : existing is not null && existing.TailnetId == key.TailnetId ? existing.Tags : [];

        // Tags the node asks for are checked against the key's owner (its tags, or its user) before anything is stored.
        var (granted, refused) = await service.SortRequestedTagsAsync(key.TailnetId, key.UserId, key.Tags, request.HostInfo.RequestTags, ct).ConfigureAwait(false);
        if (refused.Count > 0)
        {
            return new RegisterResponse { Error = ControlService.RequestedTagsError(refused) };
        }

        tags = [.. tags.Union(granted, StringComparer.Ordinal)];
        NodeRecord node;
        if (existing is not null && existing.TailnetId == key.TailnetId)
        {
            // Re-authentication keeps identity and addresses; only the key and its expiry change. A node
            // without expiry (an admin disabled it) keeps none.
            node = existing with { NodeKey = request.NodeKey, KeyExpiry = existing.KeyExpiry is null ? null : expiry, Authorized = true, Tags = tags };
            await service.UpdateNodeAsync(node, ct).ConfigureAwait(false);
        }
        else
        {
            node = await service.CreateNodeAsync(new NewNode(key.TailnetId, key.UserId, machineKey, request.NodeKey, "", request.HostInfo.Hostname,
                NetmapBuilder.HostInfoJson(request.HostInfo), tags, expiry, key.Ephemeral || request.Ephemeral, Authorized: true), ct).ConfigureAwait(false);
        }

        if (request.HostInfo.RoutableIPs.Count > 0)
        {
            // Routes offered at login are approved by autoApprovers now, not at the first map request.
            await service.ReportRoutesAsync(node, request.HostInfo.RoutableIPs, ct).ConfigureAwait(false);
        }

        return new RegisterResponse { Authorized = true, KeyExpiry = node.KeyExpiry, Login = node.Tags.Count > 0 ? "" : await LoginOfAsync(node, ct).ConfigureAwait(false) };
    }

    private async Task<RegisterResponse> FollowupAsync(string url, string machineKey, CancellationToken ct)
    {
        var id = url[(url.LastIndexOf('/') + 1)..];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(ControlConstants.RegisterFollowupWait);
        // Subscribed before reading the store, so an approval in between still wakes this wait.
        var approved = service.WaitForApprovalAsync(id, wait.Token);
        var pending = await service.GetPendingAsync(id, ct).ConfigureAwait(false);
        if (pending is null || pending.MachineKey != machineKey)
        {
            return new RegisterResponse { Error = "login URL unknown, expired or already used" };
        }

        if (pending.NodeId is null)
        {
            try
            {
                await approved.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new RegisterResponse { AuthUrl = url };
            }

            pending = await service.GetPendingAsync(id, ct).ConfigureAwait(false);
        }

        // The pending row goes with its node, so a deleted node reads as an unknown login.
        var node = pending?.NodeId is { } nodeId ? await service.Store.GetNodeAsync(nodeId, ct).ConfigureAwait(false) : null;
        if (node is null)
        {
            return new RegisterResponse { Error = "login URL unknown, expired or already used" };
        }

        return new RegisterResponse { Authorized = true, KeyExpiry = node.KeyExpiry, Login = await LoginOfAsync(node, ct).ConfigureAwait(false) };
    }

    private async Task<string?> LoginOfAsync(NodeRecord node, CancellationToken ct) =>
        (await service.Store.GetUserAsync(node.UserId, ct).ConfigureAwait(false))?.Login;
}
