using System.Security.Cryptography;
using System.Text;

namespace Stowage.Server.Cluster;

/// <summary>
/// The secret every server of a cluster holds and the database never sees: it encrypts the shared key ring
/// that protects storage credentials, so a copy of the database alone reveals no password. Read from
/// <c>--cluster-secret-file</c>; without one, the first server creates <c>cluster-secret</c> (mode 0600) in its
/// data directory, to be copied to every other server.
/// </summary>
public sealed class ClusterSecret
{
    public const string FileName = "cluster-secret";

    private ClusterSecret(byte[] key, string path)
    {
        Key = key;
        Path = path;
    }

    /// <summary>256-bit AES key derived from the secret file's content.</summary>
    public byte[] Key { get; }

    public string Path { get; }

    public static ClusterSecret Load(string? secretFile, string dataDir)
    {
        var path = secretFile ?? System.IO.Path.Combine(dataDir, FileName);
        if (secretFile is null && !File.Exists(path))
        {
            var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, options);
            stream.Write(Encoding.ASCII.GetBytes(fresh + "\n"));
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"--cluster-secret-file {path} does not exist");
        }

        var text = File.ReadAllText(path).Trim();
        if (text.Length < 16)
        {
            throw new InvalidOperationException($"the cluster secret in {path} is shorter than 16 characters");
        }

        return new ClusterSecret(SHA256.HashData(Encoding.UTF8.GetBytes("stowage-cluster-secret:" + text)), path);
    }
}
