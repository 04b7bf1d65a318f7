using System.Globalization;

namespace Stowage.Server.Hosting;

/// <summary>
/// Cluster timing (<c>--cluster-heartbeat</c>, <c>--cluster-dead-after</c>, in seconds) and this server's
/// address for forwarded calls (<c>--advertise-url</c>). A server renews its heartbeat every
/// <see cref="Heartbeat"/>; the others call it dead once its heartbeat is <see cref="DeadAfter"/> old; it stops
/// acting on its own after <see cref="Lease"/> without a renewal, which is shorter, so that a server cut off
/// from the database has stopped before anyone takes its backup storages over.
/// </summary>
public sealed record ClusterSettings(TimeSpan Heartbeat, TimeSpan DeadAfter, string? AdvertiseUrl)
{
    /// <summary><c>--cluster-secret-file</c>: the secret shared by the servers (see <c>ClusterSecret</c>).</summary>
    public string? SecretFile { get; init; }

    public static ClusterSettings Default { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), null);

    /// <summary>Half of <see cref="DeadAfter"/>: leaves the other half for the fenced server to stop its work.</summary>
    public TimeSpan Lease => DeadAfter / 2;

    public static ClusterSettings From(string? heartbeat, string? deadAfter, string? advertiseUrl, string? secretFile)
    {
        var beat = heartbeat is null ? Default.Heartbeat : Seconds("--cluster-heartbeat", heartbeat);
        var dead = deadAfter is null ? Default.DeadAfter : Seconds("--cluster-dead-after", deadAfter);
        if (dead < beat * 4)
        {
            throw new InvalidOperationException(
                $"--cluster-dead-after ({dead.TotalSeconds:0.###} s) must be at least 4 x --cluster-heartbeat ({beat.TotalSeconds:0.###} s): a server must be able to miss a renewal without being declared dead");
        }

        if (advertiseUrl is not null && (!Uri.TryCreate(advertiseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new InvalidOperationException($"invalid --advertise-url '{advertiseUrl}': expected http://host:port");
        }

        return new ClusterSettings(beat, dead, advertiseUrl?.TrimEnd('/')) { SecretFile = secretFile is null ? null : Path.GetFullPath(secretFile) };
    }

    private static TimeSpan Seconds(string name, string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s < 0.1 || s > 3600)
        {
            throw new InvalidOperationException($"invalid {name} '{text}': expected seconds between 0.1 and 3600");
        }

        return TimeSpan.FromSeconds(s);
    }
}
