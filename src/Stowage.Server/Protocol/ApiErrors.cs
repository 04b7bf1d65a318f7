using System.Text.Json;
using Stowage.Core.Errors;

namespace Stowage.Server.Protocol;

/// <summary>Writes ZStack's error envelope <c>{"error": {code, description, details, cause?}}</c>.</summary>
public static class ApiErrors
{
    public static string Envelope(ErrorCode error) =>
        "{\"error\":" + JsonSerializer.Serialize(error, ZStackJson.Options) + "}";

    public static string EnvelopeFromStored(string errorJson) => "{\"error\":" + errorJson + "}";

    public static Task WriteAsync(HttpContext http, int status, ErrorCode error)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(Envelope(error), http.RequestAborted);
    }

    public static Task WriteJsonAsync(HttpContext http, int status, string json)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(json, http.RequestAborted);
    }
}
