using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>QueryGlobalConfig: numeric comparisons on the long id, text fields and the seeded catalogue.</summary>
public sealed class GlobalConfigQueryTests
{
    private static readonly string[] Everything =
    [
        "capacity.alertThreshold", "connection.autoReconnectOnError", "connection.autoReconnectOnError.maxAttemptsNum", "copy.mode", "deletionPolicy", "delivery.maxAttempts",
        "download.insecureSkipTlsVerify", "download.minimumSize", "download.mode", "download.stallTimeout", "event.retention", "export.baseUrl", "export.expirationTime", "export.proxyObjectStore", "expungeInterval", "expungePeriod",
        "gc.interval", "hostPath.denyList", "job.resultRetention", "ping.interval", "ping.parallelismDegree", "ping.timeout", "reservedCapacity", "session.timeout", "sweep.interval", "upload.timeout",
        "verify.concurrency", "verify.interval", "verify.rateLimit", "verify.repair", "verify.scanInterval",
    ];

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Ids_compare_as_numbers(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        var rows = await w.OkAsync("/global-configurations", "sort=+id");
        Assert.Equal(Everything, QueryWorld.Sorted(rows, "name"));
        var ids = rows.Select(r => r!["id"]!.GetValue<long>()).ToArray();
        var names = QueryWorld.Values(rows, "name");
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());

        string[] Names(Func<long, bool> keep) => [.. names.Where((_, i) => keep(ids[i])).Order(StringComparer.Ordinal)];
        async Task<string[]> Query(params string[] q) => QueryWorld.Sorted(await w.OkAsync("/global-configurations", q), "name");

        var pivot = ids[3];
        Assert.Equal(Names(id => id > pivot), await Query($"q=id>{pivot}"));
        Assert.Equal(Names(id => id >= pivot), await Query($"q=id>={pivot}"));
        Assert.Equal(Names(id => id < pivot), await Query($"q=id<{pivot}"));
        Assert.Equal(Names(id => id <= pivot), await Query($"q=id<={pivot}"));
        Assert.Equal([names[3]], await Query($"q=id={pivot}"));
        Assert.Equal(Names(id => id != pivot), await Query($"q=id!={pivot}"));
        Assert.Equal(Names(id => id == ids[0] || id == ids[7]), await Query($"q=id?={ids[0]},{ids[7]},999999"));
        Assert.Equal(Names(id => id != ids[0] && id != ids[7]), await Query($"q=id!?={ids[0]},{ids[7]}"));
        Assert.Equal(Names(id => id > ids[1] && id < ids[4]), await Query($"q=id>{ids[1]}", $"q=id<{ids[4]}"));
        Assert.Equal([names[3]], await Query($"q=id=+{pivot}"));
        Assert.Equal(Everything, await Query("q=id>-1"));

        // Numeric, not textual: as text "10".."14" would sort before "2" and "9" after "10".
        Assert.True(ids[^1] >= 10 && ids[0] < 10, string.Join(",", ids));
        Assert.Equal(Names(id => id < 10), await Query("q=id<10"));
        Assert.Equal(Names(id => id >= 9), await Query("q=id>=9"));
        Assert.Empty(await Query("q=id>9223372036854775806"));

        Assert.Equal(names.Reverse(), QueryWorld.Values(await w.OkAsync("/global-configurations", "sort=-id"), "name"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Text_fields(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        async Task<string[]> Query(params string[] q) => QueryWorld.Sorted(await w.OkAsync("/global-configurations", q), "name");

        Assert.Equal(["capacity.alertThreshold", "connection.autoReconnectOnError", "connection.autoReconnectOnError.maxAttemptsNum", "event.retention", "export.baseUrl", "export.expirationTime", "export.proxyObjectStore", "gc.interval", "ping.interval", "ping.parallelismDegree", "ping.timeout", "reservedCapacity",
            "verify.concurrency", "verify.interval", "verify.rateLimit", "verify.repair", "verify.scanInterval"],
            await Query("q=category=backupStorage"));
        Assert.Equal(["copy.mode", "deletionPolicy", "delivery.maxAttempts", "download.insecureSkipTlsVerify", "download.minimumSize", "download.mode", "download.stallTimeout", "expungeInterval", "expungePeriod", "hostPath.denyList", "job.resultRetention", "session.timeout", "sweep.interval", "upload.timeout"], await Query("q=category!=backupStorage"));
        Assert.Equal(["job.resultRetention", "session.timeout"], await Query("q=category?=identity,api"));
        Assert.Equal(["ping.interval"], await Query("q=name~=ping_interval"));
        Assert.Equal(["connection.autoReconnectOnError", "connection.autoReconnectOnError.maxAttemptsNum"], await Query("q=name~=%reconnect%"));
        Assert.Equal(["ping.interval", "ping.parallelismDegree", "ping.timeout"], await Query("q=name~=ping.%", "q=category=backupStorage"));
        Assert.Equal(["ping.interval", "verify.scanInterval"], await Query("q=value=60", "q=defaultValue=60"));
        Assert.Equal(["connection.autoReconnectOnError", "verify.repair"], await Query("q=value=true"));
        Assert.Equal(["reservedCapacity"], await Query("q=value=1G"));
        Assert.Equal(Everything, await Query("q=description not null"));
        Assert.Empty(await Query("q=description is null"));

        Assert.Equal(["session.timeout"], await Query("q=value=7200"));

        var count = await w.Client.QueryAsync("/global-configurations", "q=category=backupStorage", "count=true");
        Assert.Equal(17, count.Json!["total"]!.GetValue<long>());

        var projected = (await w.OkAsync("/global-configurations", "q=name=session.timeout", "fields=name,value,id")).Single()!.AsObject();
        Assert.Equal(["id", "name", "value"], projected.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("7200", projected["value"]!.GetValue<string>());
    }
}
