namespace Stowage.Nfs;

/// <summary>How Stowage speaks to one NFS backup storage.</summary>
public sealed record NfsOptions
{
    /// <summary>
    /// The bound on every NFS call (mount, read, write, commit...). libnfs counts it in whole seconds, so it is
    /// rounded up. Without one, a dead or frozen server hangs a call forever.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The AUTH_SYS uid the calls are made as (files are created with it).</summary>
    public int Uid { get; init; }

    /// <summary>The AUTH_SYS gid the calls are made as.</summary>
    public int Gid { get; init; }

    /// <summary>How many connections (libnfs contexts) one backup storage may hold at once.</summary>
    public int MaxContexts { get; init; } = 8;

    /// <summary>The size of one READ/WRITE call the streams issue.</summary>
    public int ChunkSize { get; init; } = 1024 * 1024;

    /// <summary>How many chunks a stream reads ahead or writes behind while the caller works on others.</summary>
    public int Pipeline { get; init; } = 3;

    /// <summary>
    /// The bound on a COMMIT, which makes the server flush everything written since the last one to its disk and
    /// so may take much longer than any other call; by default four times <see cref="Timeout"/>.
    /// </summary>
    public TimeSpan? CommitTimeout { get; init; }

    internal int CommitTimeoutMilliseconds =>
        (int)Math.Max(1, Math.Ceiling((CommitTimeout ?? Timeout * 4).TotalSeconds)) * 1000;

    internal int TimeoutMilliseconds => (int)Math.Max(1, Math.Ceiling(Timeout.TotalSeconds)) * 1000;
}
