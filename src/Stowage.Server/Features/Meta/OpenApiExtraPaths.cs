using System.Text.Json.Nodes;
using Stowage.Server.Features.Images;

namespace Stowage.Server.Features.Meta;

/// <summary>Routes outside the API catalogue that clients call directly: the image upload url.</summary>
public static class OpenApiExtraPaths
{
    public static readonly string UploadPath = "/zstack/v1" + ImageUploads.RoutePrefix + "/{token}";

    public static IEnumerable<(string Path, JsonObject Item)> All()
    {
        yield return (UploadPath, new JsonObject
        {
            ["parameters"] = new JsonArray(new JsonObject
            {
                ["name"] = "token", ["in"] = "path", ["required"] = true, ["schema"] = Str(),
                ["description"] = "the token of backupStorageRefs[0].uploadUrl in AddImage's answer for an upload:// url; it is the only credential",
            }),
            ["put"] = new JsonObject
            {
                ["operationId"] = "PutImageUpload",
                ["summary"] = "Upload image bytes",
                ["description"] = "The body is streamed to the backup storage. Without Content-Range it is the whole file (Content-Length bytes, starting over). "
                    + "With Content-Range: bytes <start>-<end>/<total> it is one piece; start must equal the bytes already stored. The first PUT fixes the total "
                    + "and reserves that much capacity. After the last byte the file is verified (size, checksum system tags), hashed and made read-only, and the image is Ready.",
                ["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { ["application/octet-stream"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string", ["format"] = "binary" } } } },
                ["responses"] = new JsonObject
                {
                    ["200"] = Json("the upload is complete: {inventory: Image}"),
                    ["308"] = Json("the piece is stored, more is expected: Range: bytes=0-<n-1>, Upload-Offset: <n>; body {uploadedBytes, totalBytes, expiresAt}"),
                    ["400"] = Error("missing Content-Length, malformed Content-Range, or the finished file failed verification (the upload is dropped)"),
                    ["404"] = Error("unknown, expired or finished token, or the image was deleted"),
                    ["409"] = Error("another PUT to this url is running"),
                    ["416"] = Error("start differs from the bytes stored, or the total differs from the first PUT's; Upload-Offset tells where to continue"),
                    ["503"] = Error("the backup storage is not Enabled and Connected, or unreachable"),
                    ["507"] = Error("not enough capacity for the announced total"),
                },
            },
            ["get"] = Status("Upload progress as JSON {uploadedBytes, totalBytes, expiresAt}"),
            ["head"] = Status("Upload progress in the headers Upload-Offset, Upload-Length, Upload-Expires and Range"),
        });
    }

    private static JsonObject Status(string description) => new()
    {
        ["operationId"] = description.Contains("JSON", StringComparison.Ordinal) ? "GetImageUpload" : "HeadImageUpload",
        ["summary"] = description,
        ["responses"] = new JsonObject { ["200"] = Json("the bytes stored so far"), ["404"] = Error("unknown or expired token") },
    };

    private static JsonObject Json(string description) => new() { ["description"] = description };

    private static JsonObject Error(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Error" } } },
    };

    private static JsonObject Str() => new() { ["type"] = "string" };
}
