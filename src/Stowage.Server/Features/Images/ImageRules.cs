using System.Text.RegularExpressions;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>Parameter rules, source urls, install paths and the checksum system tags of images.</summary>
public static partial class ImageRules
{
    public const string ResourceType = "ImageVO";
    public const string InventoryClass = "org.zstack.header.image.ImageInventory";
    public const string ChecksumPrefix = "checksum::";

    public static readonly IReadOnlyList<string> MediaTypes = ["RootVolumeTemplate", "DataVolumeTemplate", "ISO"];
    public static readonly IReadOnlyList<string> Platforms = ["Linux", "Windows", "Other", "Paravirtualization", "WindowsVirtio"];
    public static readonly IReadOnlyList<string> Architectures = ["x86_64", "aarch64", "mips64el", "loongarch64"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SafeName();

    [GeneratedRegex("^[0-9a-f]+$")]
    private static partial Regex Hex();

    public static ParamSpec ImageUuid(string name = "uuid") => new(name) { InPath = true, Required = true, ResourceType = ResourceType, Description = "image uuid" };

    public static readonly ParamSpec BackupStorageUuids = new("backupStorageUuids", ParamType.StringList)
    {
        NonEmpty = true, ResourceType = "BackupStorageVO", Description = "backup storages concerned (default: all holding the image)",
    };

    /// <summary>
    /// Parses and checks a source url. Refused with SYS.1007: other schemes, characters a shell or a curl
    /// config could misread, and anything that is not an absolute http(s) url with a host.
    /// </summary>
    public static Uri ParseSource(string url)
    {
        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '"' or '\\' or '`'))
        {
            throw ApiException.Argument($"url[{Redact(url)}] contains spaces, quotes, backslashes or control characters");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw ApiException.Argument($"url[{Redact(url)}] is not a valid url");
        }

        if (uri.Scheme is not ("http" or "https"))
        {
            throw ApiException.Argument($"url[{Redact(url)}] has an unsupported scheme[{uri.Scheme}]; supported are http:// and https://");
        }

        return uri;
    }

    /// <summary>The url as shown and stored: no password (ZStack strips it), no query (it may hold a token).</summary>
    public static string Redact(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            var at = url.LastIndexOf('@');
            return at < 0 ? url : "***" + url[at..];
        }

        var user = uri.UserInfo.Length == 0 ? string.Empty : uri.UserInfo.Split(':')[0] + "@";
        var query = uri.Query.Length > 0 ? "?***" : string.Empty;
        return $"{uri.Scheme}://{user}{uri.Authority}{uri.AbsolutePath}{query}";
    }

    /// <summary>
    /// <c>&lt;url&gt;/&lt;folder&gt;/acct-&lt;account&gt;/&lt;image&gt;/&lt;name&gt;.&lt;ext&gt;</c>, ISOs in their own <c>iso</c> folder
    /// (not ZStack's dataVolumeTemplates quirk). The name is the source's base name reduced to safe characters.
    /// </summary>
    public static string InstallPath(string bsUrl, string mediaType, string accountUuid, string imageUuid, Uri source)
    {
        var (folder, ext) = mediaType switch
        {
            "ISO" => ("iso", "iso"),
            "DataVolumeTemplate" => ("dataVolumeTemplates", "volume"),
            _ => ("rootVolumeTemplates", "template"),
        };
        var baseName = Path.GetFileNameWithoutExtension(Uri.UnescapeDataString(source.AbsolutePath.TrimEnd('/')));
        var clean = new string([.. baseName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_')]).TrimStart('.', '-', '_');
        var name = SafeName().IsMatch(clean) ? clean : imageUuid;
        return $"{bsUrl.TrimEnd('/')}/{folder}/acct-{accountUuid}/{imageUuid}/{name}.{ext}";
    }

    /// <summary>Reads <c>checksum::md5::&lt;hex&gt;</c> and <c>checksum::sha256::&lt;hex&gt;</c> system tags.</summary>
    public static ImageExpectations Expectations(IReadOnlyList<string> systemTags, long? size)
    {
        string? md5 = null;
        string? sha256 = null;
        foreach (var tag in systemTags.Where(t => t.StartsWith(ChecksumPrefix, StringComparison.Ordinal)))
        {
            var parts = tag.Split("::");
            var value = parts.Length == 3 ? parts[2].ToLowerInvariant() : string.Empty;
            switch (parts.Length == 3 ? parts[1] : string.Empty)
            {
                case "md5" when value.Length == 32 && Hex().IsMatch(value):
                    md5 = value;
                    break;
                case "sha256" when value.Length == 64 && Hex().IsMatch(value):
                    sha256 = value;
                    break;
                default:
                    throw ApiException.Argument($"system tag[{tag}] must be checksum::md5::<32 hex> or checksum::sha256::<64 hex>");
            }
        }

        return new ImageExpectations(size, md5, sha256);
    }
}
