using Stowage.Core.Storage;
using Stowage.ObjectStore.S3;
using Stowage.ObjectStore.Swift;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.ObjectStore.Tests;

/// <summary>
/// Resumable uploads on the real Swift, through its API and its S3 API: pieces that end inside a segment, a client
/// that goes away, a Stowage process that dies between two pieces or mid-piece (a new driver continues from what the
/// store holds, digests included), cancellation and a checksum mismatch leave nothing behind.
/// </summary>
[Collection(SwiftCollection.Name)]
public sealed class ObjectStoreUploadTests(SwiftFixture swift) : ObjectStoreTestBase(swift)
{
    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Pieces_across_segments_a_dropped_client_and_a_restart_end_in_one_verified_object(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random((2 * Segment) + 777_777, 21);
        var path = InstallPath(target, "up.template");
        var expect = new ImageExpectations(null, TestData.Md5(data), TestData.Sha256(data));
        var total = data.Length;

        // Inside the first segment: nothing but the state object holds it.
        Assert.Null((await driver.WriteUploadChunkAsync(target, Piece(data, 0, 1_000_000), path, 0, total, expect, default)).Facts);
        Assert.Equal(1_000_000, await driver.GetUploadedSizeAsync(target, path, default));

        // Past the first segment's end: a segment is stored, the rest waits.
        var chunk = await driver.WriteUploadChunkAsync(target, Piece(data, 1_000_000, Segment + 300_000), path, 1_000_000, total, expect, default);
        Assert.Equal(Segment + 300_000, chunk.Size);
        var file = Assert.Single(await driver.ListImageFilesAsync(target, default));
        Assert.Equal(Relative(target, path) + ObjectStoreDriver.UploadSuffix, file.RelativePath);
        Assert.True(file.Size >= Segment + 300_000, $"{file.Size}");

        // The client goes away mid-body: what arrived is kept.
        var cut = new BreakingStream(data.AsMemory(Segment + 300_000, 500_000));
        Assert.Equal(Segment + 800_000, (await driver.WriteUploadChunkAsync(target, cut, path, Segment + 300_000, total, expect, default)).Size);

        // A wrong offset is refused and changes nothing.
        var wrong = await Assert.ThrowsAsync<StorageException>(() => driver.WriteUploadChunkAsync(target, Piece(data, 5, 10), path, 5, total, expect, default));
        Assert.Equal(StorageFailure.SourceFailed, wrong.Failure);

        // Another process (a restarted server) continues from the store alone.
        using var restarted = NewDriver(api);
        Assert.Equal(Segment + 800_000, await restarted.GetUploadedSizeAsync(target, path, default));
        var last = await restarted.WriteUploadChunkAsync(target, Piece(data, Segment + 800_000, total), path, Segment + 800_000, total, expect, default);

        var facts = Assert.IsType<ImageFileFacts>(last.Facts);
        Assert.Equal((total, TestData.Md5(data), TestData.Sha256(data)), (facts.ActualSize, facts.Md5, facts.Sha256));
        await AssertOnlyImageAsync(restarted, target, path, data);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_process_dying_mid_piece_resumes_from_its_last_stored_segment(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random((3 * Segment) + 4321, 22);
        var path = InstallPath(target, "crash.template");
        var expect = new ImageExpectations(null, null, TestData.Sha256(data));

        // A failure that is neither the client going away nor a cancel: the process is as good as dead, nothing is saved then.
        var dying = new TriggerStream(data, (2 * Segment) + 100, () => throw new InvalidOperationException("process died"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => driver.WriteUploadChunkAsync(target, dying, path, 0, data.Length, expect, default));

        using var restarted = NewDriver(api);
        var have = await restarted.GetUploadedSizeAsync(target, path, default);
        Assert.True(have is Segment or 2 * Segment, $"{have}");
        var facts = (await restarted.WriteUploadChunkAsync(target, Piece(data, (int)have, data.Length), path, have, data.Length, expect, default)).Facts;

        Assert.Equal(TestData.Sha256(data), facts?.Sha256);
        await AssertOnlyImageAsync(restarted, target, path, data);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_small_upload_is_one_object_and_a_mismatch_or_cancel_leaves_nothing(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var small = TestData.Random(300_000, 23);
        var path = InstallPath(target, "small.template");
        await driver.WriteUploadChunkAsync(target, Piece(small, 0, 100_000), path, 0, small.Length, new ImageExpectations(), default);
        var facts = (await driver.WriteUploadChunkAsync(target, Piece(small, 100_000, small.Length), path, 100_000, small.Length, new ImageExpectations(), default)).Facts;
        Assert.Equal(TestData.Md5(small), facts?.Md5);
        await AssertOnlyImageAsync(driver, target, path, small);
        await driver.DeleteImageAsync(target, path, default);

        var large = TestData.Random((2 * Segment) + 10, 24);
        var bad = InstallPath(target, "bad.template");
        await driver.WriteUploadChunkAsync(target, Piece(large, 0, Segment + 10), bad, 0, large.Length, new ImageExpectations(Md5: new string('0', 32)), default);
        var e = await Assert.ThrowsAsync<StorageException>(() =>
            driver.WriteUploadChunkAsync(target, Piece(large, Segment + 10, large.Length), bad, Segment + 10, large.Length, new ImageExpectations(Md5: new string('0', 32)), default));
        Assert.Equal(StorageFailure.SourceFailed, e.Failure);
        Assert.Empty(await driver.ListImageFilesAsync(target, default));

        using var cts = new CancellationTokenSource();
        var cancelled = new TriggerStream(large, Segment + 100, () =>
        {
            cts.Cancel();
            return Task.CompletedTask;
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driver.WriteUploadChunkAsync(target, cancelled, InstallPath(target, "gone.template"), 0, large.Length, new ImageExpectations(), cts.Token));
        Assert.Empty(await driver.ListImageFilesAsync(target, default));

        // The sweeper and the trash see an abandoned upload as one file and drop it whole (state object and segments).
        var abandoned = InstallPath(target, "abandoned.template");
        await driver.WriteUploadChunkAsync(target, Piece(large, 0, Segment + 10), abandoned, 0, large.Length, new ImageExpectations(), default);
        var upload = Assert.Single(await driver.ListImageFilesAsync(target, default));
        Assert.Equal(Relative(target, abandoned) + ObjectStoreDriver.UploadSuffix, upload.RelativePath);
        await driver.DeletePathAsync(target, upload.RelativePath, default);
        Assert.Empty(await driver.ListImageFilesAsync(target, default));
        Assert.Equal(0, await driver.GetUploadedSizeAsync(target, abandoned, default));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task The_proxy_killed_under_a_piece_fails_it_and_the_upload_continues_from_its_last_record(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random((3 * Segment) + 999, 26);
        var path = InstallPath(target, "killed.template");
        var expect = new ImageExpectations(null, TestData.Md5(data), TestData.Sha256(data));
        await driver.WriteUploadChunkAsync(target, Piece(data, 0, Segment + 10), path, 0, data.Length, expect, default);

        var killing = new TriggerStream(data[(Segment + 10)..], Segment, Swift.KillProxyAsync);
        StorageException e;
        try
        {
            e = await Assert.ThrowsAsync<StorageException>(() => driver.WriteUploadChunkAsync(target, killing, path, Segment + 10, data.Length, expect, default));
        }
        finally
        {
            await Swift.StartProxyAsync();
        }

        Assert.True(e.Failure is StorageFailure.Unreachable or StorageFailure.Timeout, e.ToString());
        var have = await driver.GetUploadedSizeAsync(target, path, default);
        Assert.True(have is Segment + 10 or 2 * Segment, $"{have}");
        var facts = (await driver.WriteUploadChunkAsync(target, Piece(data, (int)have, data.Length), path, have, data.Length, expect, default)).Facts;

        Assert.Equal((TestData.Md5(data), TestData.Sha256(data)), (facts?.Md5, facts?.Sha256));
        await AssertOnlyImageAsync(driver, target, path, data);
    }

    [Fact]
    public void Saved_digests_continue_exactly_and_a_foreign_state_is_refused()
    {
        var data = TestData.Random(1_000_003, 25);
        var first = new ResumableDigest();
        first.Append(data.AsSpan(0, 333_333));
        var (md5, sha256) = first.Export();
        var second = ResumableDigest.Import(md5, sha256, 333_333)!;
        second.Append(data.AsSpan(333_333));

        Assert.Equal((TestData.Md5(data), TestData.Sha256(data)), second.Current());
        Assert.Null(ResumableDigest.Import(md5, sha256, 333_334));
        Assert.Null(UploadState.Parse([1, 2, 3, 4, 5]));
    }

    private static MemoryStream Piece(byte[] data, int from, int to) => new(data, from, to - from, writable: false);

    private static ObjectStoreDriver NewDriver(string api) => api == "swift" ? new SwiftBackupStorageDriver() : new S3BackupStorageDriver();

    private static async Task AssertOnlyImageAsync(ObjectStoreDriver driver, BackupStorageTarget target, string path, byte[] data)
    {
        Assert.Equal([(Relative(target, path), (long)data.Length)], (await driver.ListImageFilesAsync(target, default)).Select(f => (f.RelativePath, f.Size)));
        await using var read = await driver.OpenReadAsync(target, path, 0, default);
        Assert.Equal(data, await TestData.ReadAllAsync(read));
    }

    /// <summary>Hands out its bytes, then fails the way a request body does when the client's connection drops.</summary>
    private sealed class BreakingStream(ReadOnlyMemory<byte> data) : Stream
    {
        private int _at;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _at; set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_at == data.Length)
            {
                throw new IOException("connection reset by peer");
            }

            var n = Math.Min(buffer.Length, data.Length - _at);
            data.Slice(_at, n).CopyTo(buffer);
            _at += n;
            return ValueTask.FromResult(n);
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
