using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>File faults for types whose files this machine sees directly (SFTP on loopback, FileSystem, NFS's backing directory).</summary>
public static class LocalFiles
{
    /// <summary>Flips the bits of the middle byte; stored images are read-only, so the mode is lifted and put back.</summary>
    public static void Corrupt(string path)
    {
        var mode = Proc.Run("stat", "-c", "%a", path).Trim();
        Proc.Run("chmod", "u+w", path);
        using (var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = f.Length / 2;
            var b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)~b);
        }

        Proc.Run("chmod", mode, path);
    }
}
