using Stowage.Server.Identity;

namespace Stowage.Server.Protocol;

public enum ApiKind
{
    /// <summary>Answers 200 / 503 at once.</summary>
    Sync,

    /// <summary>Answers 202 and a job location; the job answers 202 / 200 / 503.</summary>
    Async,
}

public enum ParamType
{
    String,
    Int,
    Long,
    Bool,
    StringList,
    Map,
}

/// <summary>
/// One API parameter and its rules, in ZStack's <c>@APIParam</c> terms. The same description drives
/// validation, the OpenAPI document and the command-line client.
/// </summary>
public sealed record ParamSpec(string Name, ParamType Type = ParamType.String)
{
    public bool Required { get; init; }

    public int? MaxLength { get; init; }

    public IReadOnlyList<string>? ValidValues { get; init; }

    public bool IgnoreCase { get; init; }

    public System.Text.RegularExpressions.Regex? Pattern { get; init; }

    public string? PatternText { get; init; }

    public long? Min { get; init; }

    public long? Max { get; init; }

    public bool NonEmpty { get; init; }

    public bool EmptyString { get; init; } = true;

    public bool NoTrim { get; init; }

    /// <summary>For lists in a query string: split each value on commas as well as taking repeated keys.</summary>
    public bool SplitCommas { get; init; } = true;

    /// <summary>ZStack resource type the value (or each list element) must name, e.g. <c>ZoneVO</c>.</summary>
    public string? ResourceType { get; init; }

    /// <summary>
    /// ZStack's <c>successIfResourceNotExisting</c>: when the resource named by this parameter does not exist, the
    /// call succeeds at once with an empty result instead of failing with SYS.1003 (deletes are idempotent).
    /// </summary>
    public bool SuccessIfMissing { get; init; }

    /// <summary>Filled from the URL path rather than the body.</summary>
    public bool InPath { get; init; }

    /// <summary>Never echoed, logged or shown with its value.</summary>
    public bool Secret { get; init; }

    public string? Default { get; init; }

    public string Description { get; init; } = string.Empty;
}

public delegate Task<ApiReply> ApiHandler(ApiContext context);

/// <summary>One REST v1 API: where it lives on the wire, how it is called and what runs it.</summary>
public sealed class ApiDescriptor
{
    public required string Name { get; init; }

    public required string Method { get; init; }

    /// <summary>Path under <c>/zstack/v1</c>, e.g. <c>/zones/{uuid}/actions</c>.</summary>
    public required string Path { get; init; }

    public ApiKind Kind { get; init; } = ApiKind.Async;

    /// <summary>Top-level body key for PUT actions (e.g. <c>updateZone</c>); <c>params</c> for POST.</summary>
    public string? BodyKey { get; init; }

    public IReadOnlyList<string> ExtraMethods { get; init; } = [];

    public bool NeedSession { get; init; } = true;

    public IReadOnlyList<ParamSpec> Params { get; init; } = [];

    /// <summary>For query APIs: the registry resource; the engine handles conditions and paging.</summary>
    public string? QueryResource { get; init; }

    /// <summary>Accepts <c>systemTags</c>/<c>userTags</c> for the resource it creates.</summary>
    public bool TakesTags { get; init; }

    public string Description { get; init; } = string.Empty;

    /// <summary>Class name given in <c>schema</c> and shown in the API description for the result.</summary>
    public string? ResultClass { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Jobs with the same key run one after another (e.g. one queue per backup storage).</summary>
    public Func<ApiArguments, string?>? SerialKey { get; init; }

    /// <summary>
    /// In a cluster: the backup storage whose owner runs this call (calls are forwarded there). Defaults to
    /// the backup storage of a <c>bs-</c> serial key.
    /// </summary>
    public Func<ApiArguments, string?>? OwnerBackupStorage { get; init; }

    /// <summary>
    /// A long-running call ZStack also runs as a long job: each call is recorded in <c>long_jobs</c> under its job uuid
    /// (QueryLongJob, CancelLongJob on <c>/longjobs/{uuid}</c>), and SubmitLongJob may start it by its message name.
    /// </summary>
    public bool LongJob { get; init; }

    /// <summary>In a cluster: the call acts on a job, so it runs on the server running that job (<c>uuid</c>).</summary>
    public bool RunsWhereJobRuns { get; init; }

    public required ApiHandler Handler { get; init; }

    public string MessageName => "API" + Name + "Msg";
}

/// <summary>Everything a handler gets: validated arguments, the caller's session, scoped services.</summary>
public sealed class ApiContext
{
    public required ApiDescriptor Api { get; init; }

    public required ApiArguments Args { get; init; }

    public SessionInfo? Session { get; init; }

    public required IServiceProvider Services { get; init; }

    public string? JobUuid { get; init; }

    public required CancellationToken CancellationToken { get; init; }

    public IReadOnlyList<string> SystemTags { get; init; } = [];

    public IReadOnlyList<string> UserTags { get; init; } = [];

    public T Get<T>()
        where T : notnull => (T)Services.GetService(typeof(T))!;
}
