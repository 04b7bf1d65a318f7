namespace Stowage.Core.Errors;

/// <summary>
/// An expected failure of an API call carrying the ZStack error to return. <see cref="Retryable"/>
/// tells callers whether the same call may succeed later (timeouts, busy queues, lost races).
/// </summary>
public class ApiException : Exception
{
    public ApiException(ErrorCode error, bool retryable = false, Exception? inner = null)
        : base(error.Details ?? error.Description, inner)
    {
        Error = error;
        Retryable = retryable;
    }

    public ErrorCode Error { get; }

    public bool Retryable { get; }

    public static ApiException Argument(string details) => new(Errors.Argument(details));

    public static ApiException NotFound(string details) => new(Errors.NotFound(details));

    public static ApiException Operation(string details, bool retryable = false) => new(Errors.Operr(details), retryable);
}

/// <summary>A request the protocol layer cannot even parse: answered with HTTP 400.</summary>
public sealed class BadRequestException(string details) : ApiException(Errors.Argument(details));
