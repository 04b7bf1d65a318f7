using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>A fact that needs root (to mount a small filesystem); skipped with that reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: the test mounts a small tmpfs to fill it";
        }
    }
}

/// <summary>A tmpfs of a few MiB inside the sshd storage root, owned by the storage user; unmounted on dispose.</summary>
public sealed class SmallDisk : IDisposable
{
    public SmallDisk(SshdFixture sshd, int mebibytes)
    {
        Root = sshd.NewPath("disk");
        Directory.CreateDirectory(Root);
        Proc.Run("mount", "-t", "tmpfs", "-o", $"size={mebibytes}m,mode=0755", "tmpfs", Root);
        Proc.Run("chown", $"{sshd.User}:", Root);
    }

    public string Root { get; }

    /// <summary>A backup storage url on the small filesystem (created by the connect).</summary>
    public string Url => Path.Combine(Root, "bs");

    public void Dispose()
    {
        Proc.Run("umount", "-l", Root);
        Directory.Delete(Root);
    }
}
