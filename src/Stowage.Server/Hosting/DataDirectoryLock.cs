namespace Stowage.Server.Hosting;

/// <summary>
/// An exclusive lock on the data directory: an embedded SQLite database belongs to one server, so a
/// second server started on the same directory is refused with a clear message.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    public static DataDirectoryLock Acquire(string dataDir)
    {
        var path = Path.Combine(dataDir, "stowage.lock");
        try
        {
            return new DataDirectoryLock(new FileStream(path, DataDirectory.CreateOptions(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)));
        }
        catch (IOException)
        {
            throw new InvalidOperationException(
                $"another Stowage server is already using the data directory {dataDir}; the embedded SQLite database serves one server only (use --postgres for a cluster)");
        }
    }

    public void Dispose() => _stream.Dispose();
}
