using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.BackupStorage;

[Collection(StorageCollection.Name)]
public sealed class BackupStorageSecurityTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task Changed_host_key_disconnects_with_both_fingerprints_until_the_admin_accepts_it()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        var oldKey = sshd.HostKeyFingerprint;
        await sshd.RestartWithNewHostKeyAsync();

        var r = await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "reconnectBackupStorage");
        Assert.Equal("BS.1500", r.ErrorCode);
        var inv = await BsKit.GetAsync(client, uuid);
        Assert.Equal("Disconnected", inv["status"]!.GetValue<string>());
        var reason = inv["lastError"]!.GetValue<string>();
        Assert.Contains(oldKey, reason, StringComparison.Ordinal);
        Assert.Contains(sshd.HostKeyFingerprint, reason, StringComparison.Ordinal);

        // A plain reconnect never accepts the new key; an explicit update does.
        Assert.Equal("BS.SFTP.1000", (await BsKit.ActionAsync(client, $"/backup-storage/sftp/{uuid}/actions", "reconnectSftpBackupStorage")).ErrorCode);
        var accept = await BsKit.ActionAsync(client, $"/backup-storage/sftp/{uuid}/actions", "updateSftpBackupStorage", new JsonObject { ["acceptHostKey"] = true });
        Assert.Equal(HttpStatusCode.OK, accept.Status);
        Assert.Equal("Connected", accept.Json!["inventory"]!["status"]!.GetValue<string>());
        await using var db = host.Services.GetRequiredService<Persistence.StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(sshd.HostKeyFingerprint, db.SftpBackupStorages.Single(s => s.Uuid == uuid).HostKeyFingerprint);
    }

    [Fact]
    public async Task An_expected_fingerprint_that_does_not_match_refuses_the_add()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var body = BsKit.AddBody(sshd, sshd.NewPath(), fingerprint: "SHA256:" + new string('A', 43));
        var r = await client.CallAsync(HttpMethod.Post, "/backup-storage/sftp", body);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Equal(0, await BsKit.CountAsync(client));
    }

    [Fact]
    public async Task The_password_never_appears_in_responses_job_results_or_logs()
    {
        var logs = new RecordingLoggerProvider();
        await using var host = await StowageHost.StartAsync(configure: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = host.Client();
        await client.LoginAsync();
        var bodies = new List<string>();
        var wrong = "NotThePassword-" + Guid.NewGuid().ToString("N");

        var ok = await BsKit.AddAsync(client, sshd, sshd.NewPath());
        bodies.Add(ok.Body);
        var uuid = BsKit.Uuid(ok);
        bodies.Add((await BsKit.AddAsync(client, sshd, sshd.NewPath(), "bad", password: wrong)).Body);
        bodies.Add((await BsKit.ActionAsync(client, $"/backup-storage/sftp/{uuid}/actions", "updateSftpBackupStorage", new JsonObject { ["password"] = wrong })).Body);
        bodies.Add((await client.QueryAsync("/backup-storage")).Body);
        bodies.Add((await client.QueryAsync("/backup-storage/sftp/" + uuid)).Body);
        bodies.Add((await client.Http.GetStringAsync("/zstack/v1/openapi.json")));

        await using var db = host.Services.GetRequiredService<Persistence.StowageDbContextFactory>().CreateDbContext();
        var jobs = db.ApiJobs.Select(j => (j.ResultJson ?? string.Empty) + (j.ErrorJson ?? string.Empty)).ToList();
        foreach (var secret in new[] { sshd.Password, wrong })
        {
            Assert.All(bodies, b => Assert.DoesNotContain(secret, b, StringComparison.Ordinal));
            Assert.All(jobs, j => Assert.DoesNotContain(secret, j, StringComparison.Ordinal));
            Assert.All(logs.Messages, m => Assert.DoesNotContain(secret, m, StringComparison.Ordinal));
        }

        Assert.NotEmpty(logs.Messages);
    }

    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Recorder(this);

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Messages.Enqueue(formatter(state, exception) + " " + exception);
        }
    }
}
