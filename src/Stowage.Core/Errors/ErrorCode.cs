using System.Text.Json.Serialization;

namespace Stowage.Core.Errors;

/// <summary>ZStack's error object: a fixed code and description plus the formatted details.</summary>
public sealed record ErrorCode(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("details")] string? Details,
    [property: JsonPropertyName("cause")] ErrorCode? Cause = null)
{
    public ErrorCode WithCause(ErrorCode cause) => this with { Cause = cause };
}

/// <summary>The codes of ZStack's error catalogue that Stowage emits, with ZStack's description texts.</summary>
public static class Errors
{
    public const string Internal = "SYS.1000";
    public const string Timeout = "SYS.1001";
    public const string CreateResource = "SYS.1002";
    public const string ResourceNotFound = "SYS.1003";
    public const string DeleteResource = "SYS.1004";
    public const string ChangeResourceState = "SYS.1005";
    public const string Operation = "SYS.1006";
    public const string InvalidArgument = "SYS.1007";
    public const string UnknownMessage = "SYS.1008";
    public const string InvalidSession = "ID.1001";
    public const string PermissionDenied = "ID.1002";

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        [Internal] = "An internal error happened in system",
        [Timeout] = "A message or a operation timeout",
        [CreateResource] = "Unable to create a resource",
        [ResourceNotFound] = "A resource can not be found",
        [DeleteResource] = "Unable to delete a resource",
        [ChangeResourceState] = "Unable to change resource state",
        [Operation] = "An operation failed",
        [InvalidArgument] = "One or more API argument is invalid",
        [UnknownMessage] = "Unknown message, no service can deal with the message",
        [InvalidSession] = "Session expired",
        [PermissionDenied] = "Permission denied",
    };

    /// <summary>Lets later feature families (BS.*, BS.SFTP.*) add their codes without touching this file.</summary>
    public static void Register(string code, string description) => Descriptions[code] = description;

    public static ErrorCode Of(string code, string details, ErrorCode? cause = null) =>
        new(code, Descriptions.TryGetValue(code, out var d) ? d : code, details, cause);

    public static ErrorCode Argument(string details) => Of(InvalidArgument, details);
    public static ErrorCode NotFound(string details) => Of(ResourceNotFound, details);
    public static ErrorCode Operr(string details) => Of(Operation, details);
}
