using Stowage.Server.Identity;

namespace Stowage.Server.Protocol;

/// <summary>Everything an async call needs to become a job.</summary>
public sealed record JobStart(
    ApiDescriptor Api, ApiArguments Args, SessionInfo? Session, string? SessionUuid, string JobUuid, TimeSpan Timeout, string? WebHook,
    IReadOnlyList<string> SystemTags, IReadOnlyList<string> UserTags);

/// <summary>The long-job row of a job: the call that created it, its redacted parameters and its naming.</summary>
public sealed record LongJobStart(string ApiId, string JobData, string? Name, string? Description, string? Target);
