namespace Stowage.Server.Features.Images;

/// <summary>
/// An image source Stowage opens and streams itself (today <c>sftp://</c>), registered by the module that
/// owns its client library so the copier names no protocol library.
/// </summary>
public interface IImageSourceOpener
{
    /// <summary>The url scheme it serves, lower case.</summary>
    string Scheme { get; }

    /// <summary>Opens the source of <paramref name="job"/>; the caller reserves <see cref="OpenedImageSource.Length"/> and disposes it.</summary>
    Task<OpenedImageSource> OpenAsync(CopyJob job, CancellationToken cancellationToken);
}

/// <summary>An open source: its bytes, its size, and what to dispose when done.</summary>
public sealed record OpenedImageSource(Stream Content, long Length, IAsyncDisposable Owner) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owner.DisposeAsync();
}
