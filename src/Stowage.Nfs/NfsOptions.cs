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

    internal int TimeoutMilliseconds => (int)Math.Max(1, Math.Ceiling(Timeout.TotalSeconds)) * 1000;
}
