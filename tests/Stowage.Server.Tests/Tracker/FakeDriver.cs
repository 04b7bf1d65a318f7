using System.Collections.Concurrent;
using Stowage.Core.Storage;

namespace Stowage.Server.Tests.Tracker;

/// <summary>A scriptable storage type for deterministic tracker tests: counts calls, can fail or hang.</summary>
public sealed class FakeDriver : IBackupStorageDriver, IConnectionWatch
{
    public event Action<string>? ConnectionLost;

    /// <summary>Reports the connection of <paramref name="uuid"/> as closed by its host.</summary>
    public void LoseConnection(string uuid) => ConnectionLost?.Invoke(uuid);

    public const string TypeName = "FakeBackupStorage";

    public ConcurrentDictionary<string, int> Pings { get; } = new();

    public ConcurrentDictionary<string, int> Connects { get; } = new();

    /// <summary>Uuids whose pings and connects fail with the given kind.</summary>
    public ConcurrentDictionary<string, StorageFailure> Failing { get; } = new();

    /// <summary>Uuids whose pings never answer: they end only by cancellation (the ping timeout).</summary>
    public ConcurrentDictionary<string, bool> Hanging { get; } = new();

    /// <summary>When set, pings wait for it (or their cancellation).</summary>
    public TaskCompletionSource? PingGate { get; set; }

    public string Type => TypeName;

    public StorageCapabilities Capabilities { get; } = new();

    public Task<ConnectResult> ConnectAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        Connects.AddOrUpdate(target.Uuid, 1, (_, n) => n + 1);
        if (Failing.TryGetValue(target.Uuid, out var kind))
        {
            throw new StorageException(kind, $"fake {kind}");
        }

        return Task.FromResult(new ConnectResult(new StorageCapacity(1000, 800), target.Uuid, new Dictionary<string, string>()));
    }

    public Task WriteMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<StorageCapacity> PingAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        Pings.AddOrUpdate(target.Uuid, 1, (_, n) => n + 1);
        if (Hanging.ContainsKey(target.Uuid))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (PingGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Failing.TryGetValue(target.Uuid, out var kind))
        {
            throw new StorageException(kind, $"fake {kind}");
        }

        return new StorageCapacity(1000, 700);
    }

    public Task<StorageCapacity> GetCapacityAsync(BackupStorageTarget target, CancellationToken cancellationToken) => Task.FromResult(new StorageCapacity(1000, 700));

    public void Forget(string backupStorageUuid)
    {
    }

    // The tracker never moves image bits; a call here would be a bug in the test setup.
    public Task<ImageFileFacts> DownloadFromUrlAsync(BackupStorageTarget target, ImageDownload download, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<ImageFileFacts> WriteFromStreamAsync(BackupStorageTarget target, Stream source, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken) => Task.CompletedTask;
}
