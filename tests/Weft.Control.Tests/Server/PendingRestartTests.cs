using System.Net;
using Weft.Core.Control;

namespace Weft.Control.Tests.Server;

/// <summary>Interactive logins are kept in the store: a login URL outlives a server restart and its approval then completes the registration.</summary>
public sealed class PendingRestartTests
{
    private static string IdOf(string authUrl) => authUrl[(authUrl.LastIndexOf('/') + 1)..];

    [Fact]
    public async Task LoginUrl_SurvivesRestart_ApprovalAfterRestartCompletesTheFollowup()
    {
        var ct = TestContext.Current.CancellationToken;
        var s = await TestControlServer.StartAsync(ct);
        try
        {
            RegisterResponse first;
            Weft.Core.Crypto.Key32 machine;
            string nodeKey;
            await using (var node = await TestNode.ConnectAsync(s, ct))
            {
                first = await node.RegisterAsync(null, "laptop", ct);
                Assert.False(first.Authorized);
                Assert.NotNull(first.AuthUrl);
                (machine, nodeKey) = (node.MachinePrivate, node.NodeKey);
            }

            s = await s.RestartAsync(ct);
            var id = IdOf(first.AuthUrl!);
            var kept = await s.Store.GetPendingAsync(id, ct);
            Assert.NotNull(kept);
            Assert.Null(kept.NodeId);

            await using var again = await TestNode.ConnectAsync(s, ct, machine, nodeKey);
            var followup = again.RegisterAsync(null, "laptop", ct, followup: first.AuthUrl);
            using (var approve = await s.Http.SendAsync(s.Request(HttpMethod.Post, $"/api/v2/tailnet/-/registrations/{id}/approve", s.OwnerApiKey), ct))
            {
                Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
            }

            var answer = await followup;
            Assert.True(answer.Authorized, answer.Error);
            var stored = Assert.Single(await s.Store.ListNodesAsync(null, ct));
            Assert.Equal(nodeKey, stored.NodeKey);

            await again.Client.SendMapRequestAsync(new MapRequest { NodeKey = nodeKey, Stream = true }, ct);
            var map = await again.Client.ReceiveMapAsync(ct);
            Assert.Equal(stored.Id, map!.Self!.Id);

            // Used: the store records the node, and a second approval is refused.
            Assert.Equal(stored.Id, (await s.Store.GetPendingAsync(id, ct))!.NodeId);
            using var approve2 = await s.Http.SendAsync(s.Request(HttpMethod.Post, $"/api/v2/tailnet/-/registrations/{id}/approve", s.OwnerApiKey), ct);
            Assert.Equal(HttpStatusCode.NotFound, approve2.StatusCode);
        }
        finally
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task ApprovedBeforeRestart_FollowupAfterRestart_IsAuthorized()
    {
        var ct = TestContext.Current.CancellationToken;
        var s = await TestControlServer.StartAsync(ct);
        try
        {
            Weft.Core.Crypto.Key32 machine;
            string nodeKey, url;
            await using (var node = await TestNode.ConnectAsync(s, ct))
            {
                url = (await node.RegisterAsync(null, "laptop", ct)).AuthUrl!;
                (machine, nodeKey) = (node.MachinePrivate, node.NodeKey);
            }

            using (var approve = await s.Http.SendAsync(s.Request(HttpMethod.Post, $"/api/v2/tailnet/-/registrations/{IdOf(url)}/approve", s.OwnerApiKey), ct))
            {
                Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
            }

            s = await s.RestartAsync(ct);
            await using var again = await TestNode.ConnectAsync(s, ct, machine, nodeKey);
            var answer = await again.RegisterAsync(null, "laptop", ct, followup: url);
            Assert.True(answer.Authorized, answer.Error);
        }
        finally
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task Followup_FromAnotherMachine_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var s = await TestControlServer.StartAsync(ct);
        await using var node = await TestNode.ConnectAsync(s, ct);
        var url = (await node.RegisterAsync(null, "laptop", ct)).AuthUrl!;
        await using var thief = await TestNode.ConnectAsync(s, ct);
        var answer = await thief.RegisterAsync(null, "laptop", ct, followup: url);
        Assert.False(answer.Authorized);
        Assert.Contains("unknown", answer.Error, StringComparison.Ordinal);
    }
}
