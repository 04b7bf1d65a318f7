namespace Stowage.Server.Tests.Fuzz;

/// <summary>One hostile request. <see cref="PathAndQuery"/> is relative to <c>/zstack/v1</c> and already percent-encoded.</summary>
public sealed record FuzzCase(string Label, string Method, string PathAndQuery, byte[]? Body = null, IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    /// <summary>Send <c>Authorization: OAuth &lt;session&gt;</c> unless a header in <see cref="Headers"/> replaces it.</summary>
    public bool Auth { get; init; } = true;

    public override string ToString()
    {
        var body = Body is null ? string.Empty : " body=" + Preview(Body);
        var headers = Headers is null ? string.Empty : " headers=" + string.Join(";", Headers.Select(h => h.Key + ": " + Clip(h.Value)));
        return $"[{Label}] {Method} {Clip(PathAndQuery)}{body}{headers}";
    }

    private static string Preview(byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 160));
        return body.Length > 160 ? text + $"...({body.Length} bytes)" : text;
    }

    private static string Clip(string s) => s.Length > 160 ? s[..160] + $"...({s.Length} chars)" : s;
}
