using System.Globalization;

namespace Stowage.Sftp.Tests.Infrastructure;

/// <summary>Reads /proc to see which processes a test left running.</summary>
public static class ProcessTable
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms for up to 5 s (processes end asynchronously after a kill).</summary>
    public static async Task<bool> WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        return condition();
    }

    /// <summary>Live (not zombie) ssh and ssh-agent processes descended from this test process.</summary>
    public static List<(string Name, string CommandLine)> SshChildren()
    {
        var self = Environment.ProcessId;
        var found = new List<(string, string)>();
        foreach (var (pid, stat) in Processes())
        {
            var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (name is "ssh" or "ssh-agent" && fields[0] != "Z" && DescendsFrom(pid, self))
            {
                found.Add((name, CommandLine(pid)));
            }
        }

        return found;
    }

    /// <summary>
    /// Process ids of the live <c>ssh</c> processes descended from this test process, only those whose command line
    /// (which holds the remote script, so its paths) contains <paramref name="mentioning"/> when given.
    /// </summary>
    public static List<int> SshPids(string? mentioning = null)
    {
        var self = Environment.ProcessId;
        return [.. Processes().Where(p => p.Stat.Contains("(ssh) ", StringComparison.Ordinal) && !p.Stat.Contains(") Z ", StringComparison.Ordinal) && DescendsFrom(p.Pid, self)
            && (mentioning is null || CommandLine(p.Pid).Contains(mentioning, StringComparison.Ordinal))).Select(p => p.Pid)];
    }

    /// <summary><c>cat</c> or <c>tail</c> processes (on the host side, under sshd) whose command line names <paramref name="path"/>.</summary>
    public static List<int> Readers(string path) =>
        [.. Processes().Where(p => !p.Stat.Contains(") Z ", StringComparison.Ordinal) && CommandLine(p.Pid).Contains(path, StringComparison.Ordinal)
            && (p.Stat.Contains("(cat)", StringComparison.Ordinal) || p.Stat.Contains("(tail)", StringComparison.Ordinal))).Select(p => p.Pid)];

    private static bool DescendsFrom(int pid, int ancestor)
    {
        for (var i = 0; i < 32 && pid > 1; i++)
        {
            var stat = Stat(pid);
            if (stat is null)
            {
                return false;
            }

            pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            if (pid == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<(int Pid, string Stat)> Processes()
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { } stat)
            {
                yield return (pid, stat);
            }
        }
    }

    private static string? Stat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
