namespace Stowage.Server.Hosting;

/// <summary>
/// The data directory holds the database (sessions, jobs, encrypted credentials), the key ring and the node
/// identity: only the server's own user may read it. The directory is 0700 and every file in it 0600; what
/// an older version (or a umask) left looser is tightened at start and logged.
/// </summary>
public static partial class DataDirectory
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Options for a file the server creates in the data directory: 0600 from the first byte.</summary>
    public static FileStreamOptions CreateOptions(System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.Read)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>
    /// Creates the directory 0700 when missing, creates the SQLite database file 0600 before SQLite does (its
    /// <c>-wal</c> and <c>-shm</c> files take the database file's mode), and tightens anything looser below it.
    /// Returns the paths it tightened.
    /// </summary>
    public static IReadOnlyList<string> Secure(string dir, bool sqlite)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
            return [];
        }

        Directory.CreateDirectory(dir, DirectoryMode);
        if (sqlite && !File.Exists(Path.Combine(dir, "stowage.db")))
        {
            using var created = new FileStream(Path.Combine(dir, "stowage.db"), CreateOptions(System.IO.FileMode.CreateNew, FileAccess.Write));
        }

        var tightened = new List<string>();
        Tighten(dir, tightened);
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            Tighten(entry, tightened);
        }

        return tightened;
    }

    /// <summary>Takes every group and other bit away; the owner's bits stay (0644 becomes 0600, 0755 becomes 0700).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(string path, List<string> tightened)
    {
        var current = File.GetUnixFileMode(path);
        if ((current & GroupOrOther) != 0)
        {
            File.SetUnixFileMode(path, current & ~GroupOrOther);
            tightened.Add(path);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "data directory {Dir}: other users could read {Count} entries; tightened to 0700/0600: {Paths}")]
    public static partial void LogTightened(ILogger logger, string dir, int count, string paths);
}
