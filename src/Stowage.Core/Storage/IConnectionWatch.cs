namespace Stowage.Core.Storage;

/// <summary>
/// A driver that keeps connections to its storage hosts open can tell when one of them breaks (the host
/// closed or reset it) before the next scheduled ping would find out. The tracker checks that backup
/// storage at once, so a dead host is detected in the time of one ping instead of up to a ping interval.
/// Drivers implement it next to <see cref="IBackupStorageDriver"/>; the tracker tests for it.
/// </summary>
public interface IConnectionWatch
{
    /// <summary>Raised with the backup storage's uuid when its open connection broke unexpectedly.</summary>
    event Action<string>? ConnectionLost;
}
