using System.Text.Json.Nodes;

namespace Stowage.Server.Features.Export;

/// <summary>The export download route in the OpenAPI document; it is no catalogue API, so it is described by hand.</summary>
public static class ExportDownloadDocument
{
    public static JsonObject PathItem() => new()
    {
        ["get"] = Operation("DownloadExportedImage", "Download an exported image. No session: the token in the path is the credential. Single byte Range (206 with Content-Range, 416 when unsatisfiable); ETag is the sha256; Digest and Repr-Digest carry sha-256 and md5 of the whole file; 404 once the export is deleted, expired or the image deleted; 503 while the backup storage is not Connected."),
        ["head"] = Operation("HeadExportedImage", "The headers of the download (Content-Length, ETag, Digest, Repr-Digest, Accept-Ranges) without the body."),
    };

    private static JsonObject Operation(string id, string description) => new()
    {
        ["operationId"] = id,
        ["summary"] = id,
        ["description"] = description,
        ["parameters"] = new JsonArray(
            Param("token", "path", "the 43-character token from ExportImageFromBackupStorage's imageUrl"),
            Param("fileName", "path", "the file name from imageUrl"),
            Param("Range", "header", "bytes=<start>-[<end>] or bytes=-<suffix>; one range", required: false),
            Param("If-Range", "header", "an ETag; when it differs the whole file is sent", required: false)),
        ["responses"] = new JsonObject
        {
            ["200"] = Body("the whole file"),
            ["206"] = Body("the requested range"),
            ["404"] = Error("export unknown, deleted or expired, or image deleted"),
            ["416"] = Error("range outside the file"),
            ["503"] = Error("backup storage not Connected (Retry-After)"),
        },
    };

    private static JsonObject Param(string name, string place, string description, bool required = true) => new()
    {
        ["name"] = name,
        ["in"] = place,
        ["required"] = required,
        ["description"] = description,
        ["schema"] = new JsonObject { ["type"] = "string" },
    };

    private static JsonObject Body(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject { ["application/octet-stream"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string", ["format"] = "binary" } } },
    };

    private static JsonObject Error(string description) => new()
    {
        ["description"] = description,
        ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Error" } } },
    };
}
