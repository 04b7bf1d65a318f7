using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>
/// <see cref="IFileAccess"/> over a directory this server sees (local disk or a mount made by the admin),
/// with System.IO. Every call runs on the thread pool and is awaited with the caller's token: a call stuck
/// in the kernel on a hung mount (a hard NFS mount whose server is gone) cannot be interrupted, but the
/// caller is released when its token fires (ping.timeout) and the stuck thread ends when the kernel returns.
/// Written files are opened unbuffered (callers write large blocks), so an error such as ENOSPC surfaces
/// from the write that hit it rather than from a later flush; <c>FlushAsync</c> is an fsync.
/// </summary>
public sealed class LocalFileAccess : IFileAccess
{
    public Task<StorageCapacity> StatFsAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(() => LocalNative.StatVfs(path), $"cannot read the capacity of {path}", cancellationToken);

    public Task<FileEntry?> StatAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(() => Stat(path), $"cannot read {path}", cancellationToken);

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            if (File.Exists(path))
            {
                throw new StorageException(StorageFailure.BadLocation, $"cannot create directory {path}: a file of that name exists");
            }

            Directory.CreateDirectory(path);
            return true;
        }, $"cannot create directory {path}", cancellationToken);

    public Task<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<FileEntry>>(() =>
        {
            var directory = new DirectoryInfo(path);
            if (!directory.Exists)
            {
                return [];
            }

            var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };
            return directory.EnumerateFileSystemInfos("*", options).Select(Entry).ToList();
        }, $"cannot list {path}", cancellationToken);

    public Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken) =>
        RunAsync<Stream>(() =>
        {
            var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
            if (offset > 0)
            {
                stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            }

            return stream;
        }, $"cannot open {path}", cancellationToken);

    public Task<Stream> OpenWriteAsync(string path, FileWriteMode mode, CancellationToken cancellationToken) =>
        RunAsync<Stream>(() => new DurableFileStream(path, mode), $"cannot open {path} for writing", cancellationToken);

    public Task RenameAsync(string from, string to, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            File.Move(from, to, overwrite: true);
            return true;
        }, $"cannot rename {from} to {to}", cancellationToken);

    public Task DeleteFileAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            try
            {
                File.Delete(path);
            }
            catch (DirectoryNotFoundException)
            {
                // Missing is fine.
            }

            return true;
        }, $"cannot delete {path}", cancellationToken);

    public Task DeleteDirectoryAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            try
            {
                Directory.Delete(path, recursive: false);
            }
            catch (DirectoryNotFoundException)
            {
                // Missing is fine.
            }

            return true;
        }, $"cannot delete directory {path}", cancellationToken);

    public Task ChmodAsync(string path, int mode, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)mode);
            }

            return true;
        }, $"cannot change the mode of {path}", cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Follows symbolic links, like stat(2); a dangling link reads as missing.</summary>
    private static FileEntry? Stat(string path)
    {
        var file = new FileInfo(path);
        if (file.Exists)
        {
            return new FileEntry(file.Name, false, file.Length, file.LastWriteTimeUtc);
        }

        var directory = new DirectoryInfo(path);
        return directory.Exists ? new FileEntry(directory.Name, true, 0, directory.LastWriteTimeUtc) : null;
    }

    /// <summary>The entry itself, like lstat(2): a symbolic link is neither a directory nor a regular file.</summary>
    private static FileEntry Entry(FileSystemInfo info)
    {
        var link = info.Attributes.HasFlag(FileAttributes.ReparsePoint);
        var isDirectory = !link && info is DirectoryInfo;
        var size = !link && info is FileInfo f ? f.Length : 0;
        return new FileEntry(info.Name, isDirectory, size, info.LastWriteTimeUtc) { IsSymbolicLink = link };
    }

    private static async Task<T> RunAsync<T>(Func<T> work, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await Task.Run(work, CancellationToken.None).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (LocalFailures.IsFileSystem(e))
        {
            throw LocalFailures.Map(e, what);
        }
    }

    /// <summary>
    /// An unbuffered FileStream, wrapped so that its flush is an fsync and its I/O errors are
    /// <see cref="StorageException"/>s (ENOSPC → NoSpace, EROFS → BadLocation…): the driver core never sees a raw IOException.
    /// </summary>
    private sealed class DurableFileStream(string path, FileWriteMode mode) : Stream
    {
        /// <summary>Writeback is started for every this many bytes written (see <see cref="LocalNative.StartWriteback"/>).</summary>
        private const long WritebackChunk = 32L * 1024 * 1024;

        private long _unsynced;

        /// <summary>Where the range whose writeback was started last begins; everything before it is on disk and dropped.</summary>
        private long _started;
        private readonly FileStream _file = new(path, new FileStreamOptions
        {
            Mode = mode == FileWriteMode.Append ? FileMode.Append : FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
        });

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _file.Length;

        public override long Position { get => _file.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                _file.Write(buffer);
            }
            catch (Exception e) when (LocalFailures.IsFileSystem(e))
            {
                throw LocalFailures.Map(e, $"cannot write {path}");
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await _file.WriteAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (LocalFailures.IsFileSystem(e))
            {
                throw LocalFailures.Map(e, $"cannot write {path}");
            }

            _unsynced += buffer.Length;
            if (_unsynced >= WritebackChunk)
            {
                var start = _file.Position - _unsynced;
                LocalNative.StartWriteback(_file.SafeFileHandle, start, _unsynced);
                // The chunk before this one has had a chunk's time to reach the disk: wait for it, then drop it.
                if (_started < start)
                {
                    LocalNative.FinishWriteback(_file.SafeFileHandle, _started, start - _started);
                }

                _started = start;
                _unsynced = 0;
            }
        }

        public override void Flush()
        {
            try
            {
                _file.Flush(flushToDisk: true);
            }
            catch (Exception e) when (LocalFailures.IsFileSystem(e))
            {
                throw LocalFailures.Map(e, $"cannot sync {path}");
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) =>
            Task.Run(Flush, CancellationToken.None).WaitAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await _file.DisposeAsync();
            await base.DisposeAsync();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
