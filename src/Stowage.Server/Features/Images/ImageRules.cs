using System.Text.RegularExpressions;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

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

    /// <summary>
    /// ZStack's ImageMessageFiller.fillDefault: a data volume template is left as given; anything else gets the
    /// platform Linux, the architecture x86_64 and the guest OS type of its platform (Linux, Windows or Other) when absent.
    /// </summary>
    public static (string? Platform, string? Architecture, string? GuestOsType) FillDefaults(string mediaType, string? platform, string? architecture, string? guestOsType)
    {
        if (mediaType == "DataVolumeTemplate")
        {
            return (platform, architecture, guestOsType);
        }

        platform ??= "Linux";
        return (platform, architecture ?? "x86_64", guestOsType ?? (platform is "Linux" or "Windows" or "Other" ? platform : null));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SafeName();

    [GeneratedRegex("^[0-9a-f]+$")]
    private static partial Regex Hex();

    public static ParamSpec ImageUuid(string name = "uuid") => new(name) { InPath = true, Required = true, ResourceType = ResourceType, Description = "image uuid" };

    /// <summary>The image uuid of a delete: a missing image is already deleted (ZStack's successIfResourceNotExisting).</summary>
    public static ParamSpec DeletedImageUuid() => ImageUuid() with { SuccessIfMissing = true };

    public static readonly ParamSpec BackupStorageUuids = new("backupStorageUuids", ParamType.StringList)
    {
        NonEmpty = true, ResourceType = "BackupStorageVO", Description = "backup storages concerned (default: all holding the image)",
    };

    /// <summary>
    /// Parses and checks a source url. Accepted: <c>http(s)://</c>, <c>file:///abs/path</c> (a file on the storage
    /// host; a bare <c>/abs/path</c> means the same, as in ZStack), <c>sftp://user:password@host[:port]/path</c> and
    /// <c>upload://name</c>. Refused with SYS.1007: other schemes, characters a shell or a curl config could
    /// misread, relative or <c>..</c> file paths, and sftp urls without user, password or path.
    /// </summary>
    public static Uri ParseSource(string url)
    {
        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '"' or '\\' or '`'))
        {
            throw ApiException.Argument($"url[{Redact(url)}] contains spaces, quotes, backslashes or control characters");
        }

        if (url.StartsWith('/'))
        {
            url = "file://" + url;
        }

        if (url.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return ParseFile(url);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw ApiException.Argument($"url[{Redact(url)}] is not a valid url");
        }

        switch (uri.Scheme)
        {
            case "http" or "https":
                return uri;
            case "ftp":
                // ZStack's agent pulls ftp:// with curl too; the storage host does it (Stowage does not stream ftp).
                if (uri.AbsolutePath.TrimEnd('/').Length == 0)
                {
                    throw ApiException.Argument($"url[{Redact(url)}] must name a file: ftp://[user[:password]@]host[:port]/path");
                }

                return uri;
            case "sftp":
                var info = uri.UserInfo.Split(':', 2);
                if (info.Length != 2 || info[0].Length == 0 || info[1].Length == 0 || uri.AbsolutePath.TrimEnd('/').Length == 0)
                {
                    throw ApiException.Argument($"url[{Redact(url)}] must be sftp://user:password@host[:port]/path");
                }

                return uri;
            case "upload":
                if (!SafeName().IsMatch(uri.Host) || uri.AbsolutePath.Length > 1 || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || !uri.IsDefaultPort)
                {
                    throw ApiException.Argument($"url[{Redact(url)}] must be upload://<name> with letters, digits, '.', '_' or '-'");
                }

                return uri;
            default:
                throw ApiException.Argument($"url[{Redact(url)}] has an unsupported scheme[{uri.Scheme}]; supported are http://, https://, ftp://, file:///, sftp:// and upload://");
        }
    }

    /// <summary>
    /// A <c>file://</c> uri that only names a stored copy (for its file name): the install path itself, or for a
    /// type whose url is not a local path (NFS's <c>server:/export/path</c>) the path part of it.
    /// </summary>
    public static Uri StoredCopyUri(string installPath)
    {
        var colon = installPath.IndexOf(":/", StringComparison.Ordinal);
        return new Uri("file://" + (installPath.StartsWith('/') || colon < 0 ? installPath : installPath[(colon + 1)..]));
    }

    /// <summary>The path on the storage host a <c>file:///</c> source names.</summary>
    public static string HostPath(Uri source) => Uri.UnescapeDataString(source.AbsolutePath);

    /// <summary>
    /// <c>file:///abs/path</c> only, checked on the text before <see cref="Uri"/> folds <c>..</c> away: a path that
    /// climbs or names the current directory is refused rather than guessed at.
    /// </summary>
    private static Uri ParseFile(string url)
    {
        var path = url.Length > 7 && url[..7].Equals("file://", StringComparison.OrdinalIgnoreCase) ? url[7..] : string.Empty;
        if (!path.StartsWith('/') || path.EndsWith('/') || path.Contains('%', StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal)
            || path.Contains('#', StringComparison.Ordinal) || path.Split('/').Skip(1).Any(s => s is "" or "." or ".."))
        {
            throw ApiException.Argument($"url[{Redact(url)}] must be file:///<absolute path to a file on the storage host> without ., .. or empty segments");
        }

        return new Uri("file://" + path);
    }

    /// <summary>The url as shown and stored: no password (ZStack strips it), no query (it may hold a token).</summary>
    public static string Redact(string url)
    {
        if (url.StartsWith('/') || url.StartsWith("file:///", StringComparison.OrdinalIgnoreCase))
        {
            return url;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            var at = url.LastIndexOf('@');
            return at < 0 ? url : "***" + url[at..];
        }

        if (uri.Scheme == "upload")
        {
            return $"upload://{uri.Host}";
        }

        // Cut from the text as typed (not from Uri, which escapes it: a space typed as such would show as %20):
        // the password of the user info, the query and the fragment go.
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var pathStart = url.IndexOf('/', schemeEnd);
        var authority = pathStart < 0 ? url[schemeEnd..] : url[schemeEnd..pathStart];
        var rest = pathStart < 0 ? string.Empty : url[pathStart..];
        var at2 = authority.LastIndexOf('@');
        if (at2 >= 0)
        {
            var info = authority[..at2];
            authority = (info.Contains(':', StringComparison.Ordinal) ? info[..info.IndexOf(':', StringComparison.Ordinal)] : info) + authority[at2..];
        }

        var cut = rest.IndexOfAny(['?', '#']);
        var query = cut >= 0 && rest[cut] == '?' ? "?***" : string.Empty;
        return url[..schemeEnd] + authority + (cut >= 0 ? rest[..cut] : rest) + query;
    }

    /// <summary>
    /// <c>&lt;url&gt;/&lt;folder&gt;/acct-&lt;account&gt;/&lt;image&gt;/&lt;name&gt;.&lt;ext&gt;</c>, ISOs in their own <c>iso</c> folder
    /// (not ZStack's dataVolumeTemplates quirk). The name is the source's base name reduced to safe characters.
    /// </summary>
    /// <summary>The <c>iso</c> folder's path for a file written under a template folder, or null when it is not under one.</summary>
    public static string? IsoPathFor(string installPath)
    {
        var m = TemplatePath().Match(installPath);
        return m.Success ? $"{m.Groups[1].Value}/iso/{m.Groups[2].Value}{m.Groups[3].Value}.iso" : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(.*)/(?:rootVolumeTemplates|dataVolumeTemplates)/(acct-[^/]+/[^/]+/)([^/]+)\.(?:template|volume)$")]
    private static partial System.Text.RegularExpressions.Regex TemplatePath();

    public static string InstallPath(string bsUrl, string mediaType, string accountUuid, string imageUuid, Uri source)
    {
        var (folder, ext) = mediaType switch
        {
            "ISO" => ("iso", "iso"),
            "DataVolumeTemplate" => ("dataVolumeTemplates", "volume"),
            _ => ("rootVolumeTemplates", "template"),
        };
        var named = source.Scheme == "upload" ? source.Host : Uri.UnescapeDataString(source.AbsolutePath.TrimEnd('/'));
        var baseName = Path.GetFileNameWithoutExtension(named);
        var clean = new string([.. baseName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_')]).TrimStart('.', '-', '_');
        var name = SafeName().IsMatch(clean) ? clean : imageUuid;
        return $"{bsUrl.TrimEnd('/')}/{folder}/acct-{accountUuid}/{imageUuid}/{name}.{ext}";
    }

    /// <summary>
    /// ZStack's refusal of a message sent to a backup storage that is not Enabled and Connected (SYS.1006),
    /// shared by the APIs that write to or read from one (AddImage, ExportImage, CopyImageToBackupStorage).
    /// </summary>
    public static void RequireEnabledAndConnected(BackupStorageEntity bs, string message)
    {
        if (bs.State != nameof(ResourceState.Enabled))
        {
            throw ApiException.Operation($"backup storage cannot proceed message[{message}] because its state is {bs.State}");
        }

        if (bs.Status != BackupStorageStatus.Connected)
        {
            throw ApiException.Operation($"backup storage cannot proceed message[{message}] because its status is {bs.Status}");
        }
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
