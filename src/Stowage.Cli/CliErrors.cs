namespace Stowage.Cli;

/// <summary>Process exit codes: scripts can tell a typo from a refused call from an unreachable server.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int ApiError = 1;
    public const int Usage = 2;
    public const int Connection = 3;
    public const int Interrupted = 130;
}

/// <summary>The command line itself is wrong (unknown API or parameter, missing or bad value): exit 2.</summary>
public sealed class UsageException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}

/// <summary>The server could not be reached or answered something that is not ZStack's protocol: exit 3.</summary>
public sealed class ConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server refused or failed the call with a ZStack error: exit 1.</summary>
public sealed class ApiCallException(string code, string? description, string? details, int httpStatus) : Exception($"{code}: {description}")
{
    public const string InvalidSession = "ID.1001";

    public string Code { get; } = code;

    public string? Description { get; } = description;

    public string? Details { get; } = details;

    public int HttpStatus { get; } = httpStatus;

    /// <summary>The nested <c>cause</c> errors, outermost first, as "[code] description: details".</summary>
    public IReadOnlyList<string> Causes { get; init; } = [];
}

/// <summary>The user stopped waiting for an async job (Ctrl-C); the job goes on on the server.</summary>
public sealed class StoppedWaitingException(string location) : Exception($"stopped waiting for job {location}")
{
    public string Location { get; } = location;
}
