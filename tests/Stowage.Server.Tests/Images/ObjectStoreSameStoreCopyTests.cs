using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.ObjectStore.Tests.Infrastructure;
using Stowage.Persistence;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary>
/// CopyImageToBackupStorage between two backup storages of one object store (two Swift storages on one container,
/// two S3 storages on one bucket, different prefixes): the store copies the image itself and proves it, so the copy is
/// Ready with the source's digests while the image's bytes never reach Stowage (the storages are added through a
/// counting proxy in front of the run's Swift); a source whose segment changed behind Stowage's back is refused,
/// verified and marked Corrupted, and the destination keeps nothing.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ObjectStoreSameStoreCopyTests(StorageWorld world)
{
    /// <summary>Two segments of the default 16 MiB: the store copies a manifest (SLO) or a multipart object.</summary>
    private const int Size = (16 << 20) + 100_000;

    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task A_copy_within_one_store_is_made_by_the_store_and_lands_Ready_with_the_sources_digests(string typeName)
    {
        await using var w = await SameStoreAsync(typeName);
        w.Proxy.Reset();

        var r = await w.Copy.CopyAsync();

        Wire.AssertOk(r);
        Assert.True(w.Proxy.Downstream < 1 << 20, $"{w.Proxy.Downstream} bytes came back from the store for a {Size}-byte image");
        var copy = r.Json!["inventory"]!["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == w.Copy.Dst)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var installPath = copy["installPath"]!.GetValue<string>();
        var type = world[typeName];
        Assert.Equal(ImageKit.Sha256(w.Bytes), ImageKit.Sha256(await type.ReadAsync(w.To, installPath)));
        Assert.Equal(ImageKit.Sha256(w.Bytes), r.Json!["inventory"]!["sha256Sum"]!.GetValue<string>());
        Assert.Equal([installPath], await type.FilesAsync(w.To));
        using var http = new HttpClient { BaseAddress = w.Copy.Host.BaseAddress };
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains($"stowage_transfer_bytes_total{{direction=\"in\",path=\"store-copy\"}} {Size}", metrics, StringComparison.Ordinal);
        // The streamed path's counter exists (the transfer starts under it) but counted nothing.
        Assert.DoesNotMatch(@"stowage_transfer_bytes_total\{direction=""in"",path=""copy""\} [1-9]", metrics);
        await using var db = w.Copy.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task A_source_whose_segment_changed_is_refused_marked_Corrupted_and_leaves_nothing_in_the_store(string typeName)
    {
        await using var w = await SameStoreAsync(typeName);
        var type = world[typeName];
        await type.CorruptAsync(w.From, w.Copy.SrcInstallPath);

        var r = await w.Copy.CopyAsync();

        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("checksum mismatch", r.Body, StringComparison.Ordinal);
        Assert.Contains("the source copy was verified: Corrupted", r.Body, StringComparison.Ordinal);
        Assert.Empty(await type.FilesAsync(w.To));
        await using var db = w.Copy.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var refs = await db.ImageBackupStorageRefs.Where(x => x.ImageUuid == w.Copy.Image).ToListAsync();
        Assert.Equal("Corrupted", Assert.Single(refs).Status);
        Assert.Equal(w.Copy.Src, refs[0].BackupStorageUuid);
        Assert.Equal(0, refs[0].ReservedSize);
    }

    /// <summary>Two backup storages of <paramref name="typeName"/> on one container (prefixes src and dst), reached through a counting proxy, and an image on the first.</summary>
    private async Task<SameStore> SameStoreAsync(string typeName)
    {
        var type = world[typeName];
        var proxy = CountingProxy.Start(world.Swift.ProxyPort);
        var container = SwiftFixture.Container();
        var from = new StorageLocation(container + "/src", string.Empty);
        var to = new StorageLocation(container + "/dst", string.Empty);
        var bytes = ImageKit.RandomBytes(Size);
        var copy = await CopyWorld.StartInOneStoreAsync(type, from, to, bytes, p =>
        {
            foreach (var name in new[] { "authUrl", "endpoint" }.Where(p.ContainsKey))
            {
                var url = new UriBuilder(p[name]!.GetValue<string>()) { Port = proxy.Port };
                p[name] = url.Uri.ToString().TrimEnd('/');
            }
        });
        return new SameStore(copy, proxy, from, to, bytes);
    }

    private sealed record SameStore(CopyWorld Copy, CountingProxy Proxy, StorageLocation From, StorageLocation To, byte[] Bytes) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Copy.DisposeAsync();
            await Proxy.DisposeAsync();
        }
    }
}
