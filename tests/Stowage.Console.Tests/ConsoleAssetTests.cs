using System.Net;
using Stowage.Server.WebConsole;

namespace Stowage.Console.Tests;

/// <summary>How the server serves the console's files: redirects, types, caching and security headers, and nothing else.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleAssetTests(ConsoleFixture f)
{
    [Fact]
    public async Task Every_asset_of_the_folder_is_built_in_and_served_with_its_type_and_a_strict_policy()
    {
        var folder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Stowage.Server/WebConsole/assets"));
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/')).Order().ToList();
        Assert.Contains("index.html", files);
        Assert.Equal(files.Count, ConsoleEndpoints.AssetNames().Count());

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = f.Host.BaseAddress };
        foreach (var file in files)
        {
            using var r = await http.GetAsync("/console/" + file);
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{file}: {r.StatusCode}");
            var expected = Path.GetExtension(file) switch { ".html" => "text/html", ".js" => "text/javascript", ".css" => "text/css", ".svg" => "image/svg+xml", _ => "?" };
            Assert.Equal(expected, r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder, file)), await r.Content.ReadAsByteArrayAsync());
            Assert.Contains("default-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());

            // Revalidation: the ETag answers 304.
            using var again = new HttpRequestMessage(HttpMethod.Get, "/console/" + file);
            again.Headers.IfNoneMatch.Add(r.Headers.ETag!);
            using var r304 = await http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, r304.StatusCode);
        }

        foreach (var path in new[] { "/", "/console" })
        {
            using var r = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.Equal("/console/", r.Headers.Location!.OriginalString);
        }

        using (var index = await http.GetAsync("/console/"))
        {
            Assert.Equal(HttpStatusCode.OK, index.StatusCode);
            Assert.Contains("js/app.js", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Only the console's own files: no other embedded resource, no traversal, nothing from outside.
        foreach (var path in new[] { "/console/nope.js", "/console/..%2Fappsettings.json", "/console/js/../../Stowage.Server.dll", "/console/%2e%2e/x" })
        {
            using var r = await http.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{path}: {r.StatusCode}");
        }

        // No asset is loaded from the internet: every src/href in the page and every import is relative.
        foreach (var file in files.Where(x => x.EndsWith(".html", StringComparison.Ordinal) || x.EndsWith(".js", StringComparison.Ordinal) || x.EndsWith(".css", StringComparison.Ordinal)))
        {
            var text = await File.ReadAllTextAsync(Path.Combine(folder, file));
            Assert.DoesNotMatch(@"(src|href)=""(https?:)?//|import [^;]*from '(https?:)?//|url\((https?:)?//", text);
        }
    }
}
