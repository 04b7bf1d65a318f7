using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stowage.Cli;

/// <summary>
/// The user's files: <c>$XDG_CONFIG_HOME/stowage</c> or <c>~/.config/stowage</c> holding config.json (saved
/// server), session.json (session per server), history, and cache/ (API catalogues). Directory 0700, files 0600.
/// </summary>
public sealed class CliHome
{
    public const string DefaultServer = "http://127.0.0.1:8080";
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDir = PrivateFile | UnixFileMode.UserExecute;

    public CliHome(string dir)
    {
        Dir = dir;
    }

    public string Dir { get; }

    public string ConfigFile => Path.Combine(Dir, "config.json");

    public string SessionFile => Path.Combine(Dir, "session.json");

    public string HistoryFile => Path.Combine(Dir, "history");

    public string CacheDir => Path.Combine(Dir, "cache");

    public static CliHome FromEnvironment()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var root = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config")
            : xdg;
        return new CliHome(Path.Combine(root, "stowage"));
    }

    /// <summary>--server, then STOWAGE_SERVER, then the saved config, then the default.</summary>
    public string ResolveServer(string? option)
    {
        var raw = option ?? Environment.GetEnvironmentVariable("STOWAGE_SERVER");
        if (string.IsNullOrWhiteSpace(raw))
        {
            raw = ReadJson(ConfigFile)?["server"]?.GetValue<string>();
        }

        return Normalize(string.IsNullOrWhiteSpace(raw) ? DefaultServer : raw);
    }

    public static string Normalize(string server)
    {
        var s = server.Trim().TrimEnd('/');
        if (!s.Contains("://", StringComparison.Ordinal))
        {
            s = "http://" + s;
        }

        if (!Uri.TryCreate(s, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new UsageException($"bad server address '{server}': give http://host:port");
        }

        return s;
    }

    public void SaveServer(string server)
    {
        var config = ReadJson(ConfigFile) ?? new JsonObject();
        config["server"] = server;
        WritePrivate(ConfigFile, config.ToJsonString(Indented));
    }

    public string? LoadSession(string server) => ReadJson(SessionFile)?["sessions"]?[server]?["uuid"]?.GetValue<string>();

    public void SaveSession(string server, string uuid, string? account, string? expiredDate)
    {
        var doc = ReadJson(SessionFile) ?? new JsonObject();
        if (doc["sessions"] is not JsonObject sessions)
        {
            sessions = [];
            doc["sessions"] = sessions;
        }

        sessions[server] = new JsonObject { ["uuid"] = uuid, ["accountName"] = account, ["expiredDate"] = expiredDate };
        WritePrivate(SessionFile, doc.ToJsonString(Indented));
    }

    public void ForgetSession(string server)
    {
        var doc = ReadJson(SessionFile);
        if (doc?["sessions"] is JsonObject sessions && sessions.Remove(server))
        {
            WritePrivate(SessionFile, doc.ToJsonString(Indented));
        }
    }

    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject? ReadJson(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes a file only the user can read, creating the directory (0700) first.</summary>
    public static void WritePrivate(string path, string text)
    {
        EnsureDir(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        using (var w = new StreamWriter(tmp, new System.Text.UTF8Encoding(false), options))
        {
            w.Write(text);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tmp, PrivateFile);
        }

        File.Move(tmp, path, overwrite: true);
    }

    public static void AppendPrivate(string path, string line)
    {
        EnsureDir(Path.GetDirectoryName(path)!);
        File.AppendAllText(path, line + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, PrivateFile);
        }
    }

    private static void EnsureDir(string dir)
    {
        if (Directory.Exists(dir))
        {
            return;
        }

        if (Path.GetDirectoryName(dir) is { Length: > 0 } parent)
        {
            EnsureDir(parent);
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, PrivateDir);
        }
    }
}
