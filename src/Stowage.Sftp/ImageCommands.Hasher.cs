namespace Stowage.Sftp;

/// <summary>
/// The host pull's streaming hasher (issue 16): a python3 program run on the storage host when it has one.
/// It starts curl itself (its arguments follow the temporary path on the command line; curl still reads the
/// url from the config on the inherited stdin), and reads the temporary file while curl writes it, a few MiB at
/// a time from the page cache, feeding md5 and sha256 on two threads (hashlib releases the GIL for large
/// buffers). So the file is hashed while the bytes arrive, without the pipe copies and context switches a
/// <c>tee</c> into FIFOs cost (measured slower than reading the file back). It also starts the writeback of what it
/// has hashed (<c>sync_file_range</c>, best effort) and drops what has reached the disk from the page cache, so the
/// script's final sync finds little left.
/// It prints <c>&lt;bytes&gt; &lt;md5&gt; &lt;sha256&gt;</c> and exits with curl's status; <see cref="HasherUnusable"/>
/// before curl started (no usable hashlib: the script then runs the plain curl path) and
/// <see cref="HasherFailed"/> when it failed itself after that (curl is killed then).
/// Python 3.3 syntax on purpose (no f-strings): a host's python3 may be old.
/// </summary>
internal static partial class ImageCommands
{
    public const int HasherUnusable = 125;
    public const int HasherFailed = 124;

    private const string HasherProgram = """
        import os, sys
        def main():
            try:
                import hashlib, queue, subprocess, threading, time
                hs = [hashlib.md5(), hashlib.sha256()]
                readv = os.readv
            except Exception:
                return 125
            t = sys.argv[1]
            sfr = None
            try:
                import ctypes
                sfr = ctypes.CDLL(None, use_errno=True).sync_file_range
                sfr.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            except Exception:
                sfr = None
            # A stale file at the name would be read before curl truncates it: only curl creates it.
            try:
                os.unlink(t)
            except FileNotFoundError:
                pass
            p = subprocess.Popen(sys.argv[2:])
            def status():
                r = p.wait()
                return 128 - r if r < 0 else r
            try:
                size = 4 << 20
                free = queue.Queue()
                for _ in range(6):
                    free.put(bytearray(size))
                lock = threading.Lock()
                refs = {}
                qs = [queue.Queue() for _ in hs]
                def work(h, q):
                    while True:
                        item = q.get()
                        if item is None:
                            return
                        b, n = item
                        h.update(memoryview(b)[:n])
                        with lock:
                            refs[id(b)] -= 1
                            if not refs[id(b)]:
                                free.put(b)
                workers = [threading.Thread(target=work, args=(h, q), daemon=True) for h, q in zip(hs, qs)]
                for w in workers:
                    w.start()
                delay = 0.001
                fd = None
                while fd is None:
                    try:
                        fd = os.open(t, os.O_RDONLY)
                    except FileNotFoundError:
                        if p.poll() is None:
                            time.sleep(delay)
                            delay = min(delay * 2, 0.05)
                        elif status():
                            return status()
                        else:
                            fd = os.open(t, os.O_RDONLY | os.O_CREAT, 0o666)
                total = synced = started = 0
                ended = False
                while True:
                    b = free.get()
                    v = memoryview(b)
                    n = 0
                    while n < size:
                        k = readv(fd, [v[n:]])
                        if k:
                            n += k
                            delay = 0.001
                        elif ended or n:
                            break
                        elif p.poll() is not None:
                            ended = True
                        else:
                            time.sleep(delay)
                            delay = min(delay * 2, 0.05)
                    if not n:
                        break
                    with lock:
                        refs[id(b)] = len(qs)
                    for q in qs:
                        q.put((b, n))
                    total += n
                    if sfr is not None and total - synced >= 32 << 20:
                        sfr(fd, synced, total - synced, 2)
                        if started < synced:
                            # The chunk before has had a chunk's time to reach the disk: wait for it, drop it.
                            if sfr(fd, started, synced - started, 7) == 0 and hasattr(os, "posix_fadvise"):
                                os.posix_fadvise(fd, started, synced - started, os.POSIX_FADV_DONTNEED)
                        started = synced
                        synced = total
                for q in qs:
                    q.put(None)
                for w in workers:
                    w.join()
                os.close(fd)
                if status():
                    return status()
                sys.stdout.write("%d %s %s\n" % (total, hs[0].hexdigest(), hs[1].hexdigest()))
                return 0
            except Exception as e:
                sys.stderr.write("hasher: %s\n" % e)
                if p.poll() is None:
                    p.kill()
                return 124
        sys.exit(main())
        """;

    /// <summary>
    /// The hasher's shell fragment: runs <paramref name="curl"/> (a command line that reads its config from stdin and
    /// writes <c>$t</c>) under the hasher with the config on stdin, sets <c>r</c> to the status and, on success,
    /// <c>n</c>, <c>m</c> and <c>s</c> to the bytes and digests. <c>r</c> is <see cref="HasherUnusable"/> when the
    /// caller must run curl itself.
    /// </summary>
    private static string HashedCurl(string curl) =>
        $"h=$(printf 'url = \"%s\"\\n' \"$u\" | python3 -I -S -c {RemoteCommands.Quote(HasherProgram)} \"$t\" {curl}); r=$?; " +
        "if [ $r -eq 0 ]; then n=${h%% *}; h=${h#* }; m=${h%% *}; s=${h#* }; " +
        $"case $n$m$s in *[!0-9a-f]*) exit {ExitFileError};; esac; [ ${{#m}} -eq 32 ] && [ ${{#s}} -eq 64 ] || exit {ExitFileError}; fi; ";
}
