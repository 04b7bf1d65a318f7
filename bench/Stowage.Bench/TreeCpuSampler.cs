using System.Globalization;

namespace Stowage.Bench;

/// <summary>
/// CPU of a process tree over a span, sessions that start and end inside it included. Summing the tree at the
/// start and the end misses an sshd session that began meanwhile (an OpenSSH child's connection) when its CPU
/// does not reach the listener's cutime, so every 100 ms each live descendant's own CPU (utime + stime) is read
/// and its last value kept; a process loses at most its last 100 ms, and one that lives less than that is missed.
/// </summary>
public sealed class TreeCpuSampler : IDisposable
{
    private readonly int _root;
    private readonly Dictionary<(int Pid, string Start), (double First, double Last)> _seen = [];
    private readonly Thread _thread;
    private volatile bool _stop;

    public TreeCpuSampler(int root)
    {
        _root = root;
        Sample(initial: true);
        _thread = new Thread(Loop) { IsBackground = true, Name = "cpu-sampler" };
        _thread.Start();
    }

    /// <summary>Stops sampling and answers the CPU seconds the tree used since the start.</summary>
    public double Stop()
    {
        _stop = true;
        _thread.Join();
        Sample(initial: false);
        return _seen.Values.Sum(v => v.Last - v.First);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Loop()
    {
        while (!_stop)
        {
            Thread.Sleep(100);
            Sample(initial: false);
        }
    }

    private void Sample(bool initial)
    {
        foreach (var pid in ProcFs.Children(_root).Append(_root))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ProcFs.TicksPerSecond;
                var key = (pid, fields[19]);
                _seen[key] = _seen.TryGetValue(key, out var v) ? (v.First, cpu) : (initial ? cpu : 0, cpu);
            }
            catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
            {
                // Exited meanwhile.
            }
        }
    }
}
